"""A `ValidationError` from the case rules, told to the reader in their language.

The rules speak in stable codes; each code has its own catalog key here (literal keys, so the
extraction finds them and the completeness test checks them).
"""

from __future__ import annotations

from bot.i18n import N_, Translator
from flows.rules.validation import ValidationError

ERROR_KEYS: dict[str, str] = {
    "amount.not_a_number": N_("error.amount.not_a_number"),
    "amount.not_positive": N_("error.amount.not_positive"),
    "amount.too_many_decimals": N_("error.amount.too_many_decimals"),
    "amount.too_large": N_("error.amount.too_large"),
    "currency.unknown": N_("error.currency.unknown"),
    "date.format": N_("error.date.format"),
    "date.future": N_("error.date.future"),
    "date.before_order": N_("error.date.before_order"),
    "claim.too_late": N_("error.claim.too_late"),
    "text.empty": N_("error.text.empty"),
    "text.too_long": N_("error.text.too_long"),
    "quantity.not_integer": N_("error.quantity.not_integer"),
    "quantity.not_positive": N_("error.quantity.not_positive"),
    "quantity.too_large": N_("error.quantity.too_large"),
    "percent.invalid": N_("error.percent.invalid"),
    "percent.range": N_("error.percent.range"),
    "refund.exceeds_paid": N_("error.refund.exceeds_paid"),
    "label.empty": N_("error.label.empty"),
    "label.too_long": N_("error.label.too_long"),
    "evidence.too_big": N_("error.evidence.too_big"),
    "evidence.type_not_allowed": N_("error.evidence.type_not_allowed"),
    "evidence.unsupported_message": N_("error.evidence.unsupported_message"),
    "evidence.required": N_("error.evidence.required"),
    "answer.expected_text": N_("error.answer.expected_text"),
    "answer.use_buttons": N_("error.answer.use_buttons"),
}
FALLBACK_KEY = N_("error.invalid_answer")


def validation_message(error: ValidationError, tr: Translator) -> str:
    key = ERROR_KEYS.get(error.code)
    if key is None:
        return tr.t(FALLBACK_KEY)
    return tr.t(key, **{name: str(value) for name, value in error.params.items()})
