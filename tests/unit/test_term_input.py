"""The sizes typed for a discount (claim form and proposal builder alike) and a refund."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.rules.term_input import is_percent, parse_discount, parse_percent
from flows.rules.terms import Discount
from flows.rules.validation import ValidationError

PAID = Decimal("4250.00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10%", Discount(percent=Decimal("10"))),
        (" 12.5 ％ ", Discount(percent=Decimal("12.5"))),
        ("200", Discount(amount=Decimal("200.00"))),
        ("$4,250.00", Discount(amount=Decimal("4250.00"))),
    ],
)
def test_a_discount_is_a_percentage_or_an_amount(text: str, expected: Discount) -> None:
    assert parse_discount(text, "USD", PAID) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("100%", "discount.percent_range"),
        ("120%", "discount.percent_range"),
        ("0%", "discount.percent_range"),
        ("-5%", "discount.percent_range"),
        ("NaN%", "percent.invalid"),
        ("ten%", "percent.invalid"),
        ("ten", "discount.invalid"),
        ("", "discount.invalid"),
        ("0", "amount.not_positive"),
        ("4250.01", "discount.exceeds_paid"),
        ("1.005", "amount.too_many_decimals"),
    ],
)
def test_a_bad_discount_says_why(text: str, code: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_discount(text, "USD", PAID)
    assert raised.value.code == code


def test_a_refund_percentage_keeps_its_own_reason() -> None:
    assert is_percent("30％") and not is_percent("30")
    assert parse_percent("30%") == Decimal("30")
    with pytest.raises(ValidationError) as raised:
        parse_percent("100%")
    assert raised.value.code == "percent.range"
