"""A `ValidationError` from the case rules, told to the reader in their language.

The rules speak in stable codes; each code has its own catalog key here (literal keys, so the
extraction finds them and the completeness test checks them).
"""

from __future__ import annotations

from bot.i18n import Translator
from flows.rules.validation import ValidationError

ERROR_KEYS: dict[str, str] = {
    "amount.not_a_number": "error.amount.not_a_number",
    "amount.not_positive": "error.amount.not_positive",
    "amount.too_many_decimals": "error.amount.too_many_decimals",
    "amount.too_large": "error.amount.too_large",
    "currency.unknown": "error.currency.unknown",
    "date.format": "error.date.format",
    "date.future": "error.date.future",
    "date.before_order": "error.date.before_order",
    "claim.too_late": "error.claim.too_late",
    "text.empty": "error.text.empty",
    "text.too_long": "error.text.too_long",
    "quantity.not_integer": "error.quantity.not_integer",
    "quantity.not_positive": "error.quantity.not_positive",
    "quantity.too_large": "error.quantity.too_large",
    "percent.invalid": "error.percent.invalid",
    "percent.range": "error.percent.range",
    "refund.exceeds_paid": "error.refund.exceeds_paid",
    "label.empty": "error.label.empty",
    "label.too_long": "error.label.too_long",
    "evidence.too_big": "error.evidence.too_big",
    "evidence.type_not_allowed": "error.evidence.type_not_allowed",
    "evidence.unsupported_message": "error.evidence.unsupported_message",
    "evidence.required": "error.evidence.required",
    "answer.expected_text": "error.answer.expected_text",
    "answer.use_buttons": "error.answer.use_buttons",
}
FALLBACK_KEY = "error.invalid_answer"


def validation_message(error: ValidationError, tr: Translator) -> str:
    key = ERROR_KEYS.get(error.code)
    if key is None:
        return tr.t(FALLBACK_KEY)
    return tr.t(key, **{name: str(value) for name, value in error.params.items()})
