"""A `ValidationError` from the case rules, told to the reader in their language.

The rules speak in stable codes; each code has its own catalog key here (literal keys, so the
extraction finds them and the completeness test checks them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from flows.rules.validation import ValidationError
from locales.i18n import N_, Translator

ERROR_KEYS: dict[str, str] = {
    "amount.not_a_number": N_("error.amount.not_a_number"),
    "amount.not_positive": N_("error.amount.not_positive"),
    "amount.too_many_decimals": N_("error.amount.too_many_decimals"),
    "amount.too_large": N_("error.amount.too_large"),
    "currency.unknown": N_("error.currency.unknown"),
    "date.format": N_("error.date.format"),
    "date.future": N_("error.date.future"),
    "date.before_order": N_("error.date.before_order"),
    "date.agreed_not_before_receipt": N_("error.date.agreed_not_before_receipt"),
    "claim.too_late": N_("error.claim.too_late"),
    "text.empty": N_("error.text.empty"),
    "decision.cites_missing": N_("error.decision.cites_missing"),
    "decision.cite_evidence": N_("error.decision.cite_evidence"),
    "decision.days_range": N_("error.decision.days_range"),
    "text.too_long": N_("error.text.too_long"),
    "quantity.not_integer": N_("error.quantity.not_integer"),
    "quantity.not_positive": N_("error.quantity.not_positive"),
    "quantity.too_large": N_("error.quantity.too_large"),
    "percent.invalid": N_("error.percent.invalid"),
    "percent.range": N_("error.percent.range"),
    "refund.exceeds_paid": N_("error.refund.exceeds_paid"),
    "discount.invalid": N_("error.discount.invalid"),
    "discount.percent_range": N_("error.discount.percent_range"),
    "discount.exceeds_paid": N_("error.discount.exceeds_paid"),
    "label.empty": N_("error.label.empty"),
    "label.too_long": N_("error.label.too_long"),
    "evidence.too_big": N_("error.evidence.too_big"),
    "evidence.type_not_allowed": N_("error.evidence.type_not_allowed"),
    "evidence.unsupported_message": N_("error.evidence.unsupported_message"),
    "evidence.required": N_("error.evidence.required"),
    "answer.expected_text": N_("error.answer.expected_text"),
    "answer.use_buttons": N_("error.answer.use_buttons"),
    "amount.currency_mismatch": N_("error.amount.currency_mismatch"),
    "claim.too_early": N_("error.claim.too_early"),
    "currency.ambiguous": N_("error.currency.ambiguous"),
    "currency.withdrawn": N_("error.currency.withdrawn"),
    "date.invalid": N_("error.date.invalid"),
    "date.too_old": N_("error.date.too_old"),
    "evidence.empty": N_("error.evidence.empty"),
    "text.invalid_characters": N_("error.text.invalid_characters"),
    "text.too_short": N_("error.text.too_short"),
    "proposal.conflicting_refunds": N_("error.proposal.conflicting_refunds"),
    "proposal.duplicate_term": N_("error.proposal.duplicate_term"),
    "proposal.empty": N_("error.proposal.empty"),
    "proposal.partial_refund_needs_one": N_("error.proposal.partial_refund_needs_one"),
    "proposal.percent_range": N_("error.proposal.percent_range"),
    "proposal.refund_exceeds_paid": N_("error.proposal.refund_exceeds_paid"),
    "proposal.ship_by_past": N_("error.proposal.ship_by_past"),
    "bid.exceeds_paid": N_("error.bid.exceeds_paid"),
    "bid.not_positive": N_("error.bid.not_positive"),
    "evidence.duplicate": N_("error.evidence.duplicate"),
    "evidence.duplicate_draft": N_("error.evidence.duplicate_draft"),
    "evidence.download_failed": N_("error.evidence.download_failed"),
}
FALLBACK_KEY = N_("error.invalid_answer")


def _format(value: object, params: Mapping[str, object], tr: Translator) -> str:
    """Money with its currency, dates and numbers in the reader's locale."""
    if isinstance(value, Decimal) and isinstance(params.get("currency"), str):
        return tr.money(value, str(params["currency"]))
    if isinstance(value, date):
        return tr.date(value)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return tr.number(value)
    return str(value)


def validation_message(error: ValidationError, tr: Translator) -> str:
    key = ERROR_KEYS.get(error.code)
    if key is None:
        return tr.t(FALLBACK_KEY)
    params = dict(error.params)
    return tr.t(key, **{name: _format(value, params, tr) for name, value in params.items()})
