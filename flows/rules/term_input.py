"""Typed answers that size a term: a percentage ("10%") or an amount in the claim's currency.

Shared by the claim form (the discount it asks for) and the proposal builder (its refunds and
discounts), so that the same text is read, and refused, the same way in both.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flows.rules import validation as v
from flows.rules.terms import PERCENT_MAX, PERCENT_MIN, Discount
from flows.rules.validation import ValidationError


def _cleaned(text: str) -> str:
    return text.strip().replace("％", "%")


def is_percent(text: str) -> bool:
    """Whether the text is meant as a percentage (it ends with "%", half- or full-width)."""
    return _cleaned(text).endswith("%")


def parse_percent(text: str, *, range_key: str = "percent.range") -> Decimal:
    """A percentage strictly between 0 and 100 ("30%", "12.5 %"); `range_key` names the error
    for one outside that range (a refund and a discount explain it differently)."""
    cleaned = _cleaned(text).rstrip("%").strip()
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError("percent.invalid") from None
    if not percent.is_finite():
        raise ValidationError("percent.invalid")
    if not PERCENT_MIN < percent < PERCENT_MAX:
        raise ValidationError(range_key)
    return percent


def parse_discount(text: str, currency: str, paid: Decimal) -> Discount:
    """A discount on a future order: a percentage of that order (more than 0, less than 100) or
    an amount in `currency`, more than zero and at most `paid` (what was paid for the order in
    dispute: a larger sum is no longer a discount on a next order but more than a full refund)."""
    if is_percent(text):
        return Discount(percent=parse_percent(text, range_key="discount.percent_range"))
    try:
        amount = v.parse_amount(text, currency)
    except ValidationError as error:
        if error.code == "amount.not_a_number":
            raise ValidationError("discount.invalid", currency=currency) from None
        raise
    if amount > paid:
        raise ValidationError("discount.exceeds_paid", paid=paid, currency=currency)
    return Discount(amount=amount)
