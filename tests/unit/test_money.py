"""Money helpers: minor units, half-up rounding, percentages, the refund cap, currency data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.rules.money import (
    clamp_refund,
    currency_tokens,
    current_currencies,
    decimals,
    is_currency_token,
    is_whole_minor_units,
    midpoint,
    minor_unit,
    percent_of,
    quantize,
)

FAST = settings(max_examples=200, deadline=None)
D = Decimal


@pytest.mark.parametrize(
    ("currency", "places", "unit"),
    [("USD", 2, "0.01"), ("CNY", 2, "0.01"), ("JPY", 0, "1"), ("KWD", 3, "0.001")],
)
def test_minor_units(currency: str, places: int, unit: str) -> None:
    assert decimals(currency) == places
    assert minor_unit(currency) == D(unit)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1.005", "USD", "1.01"),  # half up, where half-even would give 1.00
        ("1.015", "USD", "1.02"),
        ("1.004", "USD", "1.00"),
        ("2.5", "JPY", "3"),  # half-even would give 2
        ("3.5", "JPY", "4"),
        ("0.0005", "KWD", "0.001"),
        ("10", "USD", "10.00"),
        ("-1.005", "USD", "-1.01"),  # away from zero, symmetric
    ],
)
def test_quantize_rounds_half_up(amount: str, currency: str, expected: str) -> None:
    result = quantize(D(amount), currency)
    assert result == D(expected)
    assert str(result) == expected


@pytest.mark.parametrize("bad", [D("NaN"), D("Infinity"), D("-Infinity")])
def test_non_finite_amounts_are_a_programming_error(bad: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        quantize(bad, "USD")
    with pytest.raises(ValueError, match="finite"):
        clamp_refund(bad, D(10))


@pytest.mark.parametrize(
    ("amount", "percent", "currency", "expected"),
    [
        ("100.00", "10", "USD", "10.00"),
        ("99.99", "33.33", "USD", "33.33"),
        ("0.03", "50", "USD", "0.02"),  # 0.015 -> 0.02
        ("1001", "0.05", "JPY", "1"),  # 0.5005 -> 1
        ("12.345", "100", "KWD", "12.345"),
    ],
)
def test_percent_of(amount: str, percent: str, currency: str, expected: str) -> None:
    assert percent_of(D(amount), D(percent), currency) == D(expected)


@pytest.mark.parametrize(
    ("requested", "paid", "expected"),
    [("50", "100", "50"), ("100", "100", "100"), ("150", "100", "100"), ("-5", "100", "0")],
)
def test_clamp_refund(requested: str, paid: str, expected: str) -> None:
    assert clamp_refund(D(requested), D(paid)) == D(expected)


@pytest.mark.parametrize(
    ("amount", "currency", "whole"),
    [
        ("12.50", "USD", True),
        ("12.5", "USD", True),
        ("12.505", "USD", False),
        ("1.5", "JPY", False),
    ],
)
def test_is_whole_minor_units(amount: str, currency: str, whole: bool) -> None:
    assert is_whole_minor_units(D(amount), currency) is whole


amounts = st.decimals(min_value=D("0.01"), max_value=D(10**12), places=2)


@FAST
@given(amounts, amounts)
def test_clamped_refund_never_exceeds_paid(requested: Decimal, paid: Decimal) -> None:
    assert D(0) <= clamp_refund(requested, paid) <= paid


@FAST
@given(amounts, st.decimals(min_value=D(0), max_value=D(100), places=4))
def test_percent_of_paid_never_exceeds_paid(paid: Decimal, percent: Decimal) -> None:
    assert D(0) <= percent_of(paid, percent, "USD") <= paid


@FAST
@given(amounts, amounts, st.sampled_from(["USD", "JPY", "KWD"]))
def test_midpoint_of_whole_amounts_lies_between_them(a: Decimal, b: Decimal, cur: str) -> None:
    low, high = sorted((quantize(a, cur), quantize(b, cur)))
    middle = midpoint(low, high, cur)
    assert low <= middle <= high
    assert is_whole_minor_units(middle, cur)


def test_current_currencies() -> None:
    now = current_currencies()
    assert {"USD", "CNY", "EUR", "JPY", "KWD", "HKD"} <= now
    assert not {"DEM", "FRF", "HRK", "XXX", "XAU"} & now
    assert "DEM" in current_currencies(date(1995, 1, 1))
    assert "EUR" not in current_currencies(date(1995, 1, 1))


def test_currency_tokens() -> None:
    assert {"usd", "$", "us$"} <= currency_tokens("USD")
    assert {"cny", "¥", "cn¥", "元", "rmb"} <= currency_tokens("CNY")
    assert {"hk$", "$"} <= currency_tokens("HKD")
    assert "$" not in currency_tokens("EUR")
    assert is_currency_token("€")
    assert is_currency_token("gbp")
    assert not is_currency_token("dollars")
