"""Decimal money helpers: minor units, rounding, percentages and the refund cap.

Amounts are `Decimal`, never float. Each currency has its own minor unit (Babel's CLDR data:
JPY 0 decimals, USD 2, KWD 3).

Rounding is ROUND_HALF_UP, not banker's rounding (ROUND_HALF_EVEN). Half-even removes the bias
of many roundings summed together (ledgers, interest); a settlement is one rounding that two
people check by hand and that is quoted back to them, and they expect the commercial rule taught
at school and used on invoices: 0.5 rounds up. Half-up also keeps a rounded midpoint between two
amounts that are already whole minor units inside the interval they span.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def decimals(currency: str) -> int:
    """How many decimal places `currency` uses (its minor unit)."""
    return get_currency_precision(currency)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal('0.01') for USD, Decimal('1') for JPY."""
    return Decimal(1).scaleb(-decimals(currency))


def _finite(amount: Decimal) -> Decimal:
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {amount}")
    return amount


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the minor unit of `currency`."""
    return _finite(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def is_whole_minor_units(amount: Decimal, currency: str) -> bool:
    """True when `amount` needs no rounding in `currency` (12.50 USD yes, 12.505 USD no)."""
    return _finite(amount) == amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """`percent` % of `amount`, rounded to the minor unit of `currency`."""
    return quantize(_finite(amount) * _finite(percent) / HUNDRED, currency)


def midpoint(low: Decimal, high: Decimal, currency: str) -> Decimal:
    """Halfway between two amounts, rounded half-up to the minor unit of `currency`."""
    return quantize((_finite(low) + _finite(high)) / 2, currency)


def clamp_refund(requested: Decimal, paid: Decimal) -> Decimal:
    """The refund actually owed: never more than was paid, never negative."""
    return max(ZERO, min(_finite(requested), _finite(paid)))
