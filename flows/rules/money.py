"""Decimal money helpers: minor units, rounding, percentages and the refund cap; currency data.

Amounts are `Decimal`, never float. Each currency has its own minor unit (Babel's CLDR data:
JPY 0 decimals, USD 2, KWD 3). The same data says which currencies are in use and what people
write for them ("US$", "人民币"), for the parsers in `validation`.

Rounding is ROUND_HALF_UP, not banker's rounding (ROUND_HALF_EVEN). Half-even removes the bias
of many roundings summed together (ledgers, interest); a settlement is one rounding that two
people check by hand and that is quoted back to them, and they expect the commercial rule taught
at school and used on invoices: 0.5 rounds up. Half-up also keeps a rounded midpoint between two
amounts that are already whole minor units inside the interval they span.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

from babel.core import get_global
from babel.numbers import get_currency_name, get_currency_precision, get_currency_symbol

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


# ---------------------------------------------------------------- currencies


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


# Convenience names; "$" is deliberately absent: it means a dozen currencies.
CURRENCY_ALIASES = {
    "€": "EUR",
    "¥": "CNY",
    "元": "CNY",
    "人民币": "CNY",
    "人民幣": "CNY",
    "rmb": "CNY",
    "yuan": "CNY",
    "us$": "USD",
    "美金": "USD",
    "港币": "HKD",
    "台币": "TWD",
    "円": "JPY",
    "日币": "JPY",
}
AMBIGUOUS_SYMBOLS = frozenset({"$", "kr", "₨", "rs"})
_SYMBOL_LOCALES = ("en", "zh_Hans", "zh_Hant")


@cache
def _tender_periods() -> dict[str, list[tuple[date, date | None]]]:
    periods: dict[str, list[tuple[date, date | None]]] = {}
    for entries in get_global("territory_currencies").values():
        for code, start, end, tender in entries:
            if tender:
                periods.setdefault(code, []).append(
                    (date(*start) if start else date.min, date(*end) if end else None)
                )
    return periods


@lru_cache(maxsize=256)  # keyed by order date: bounded
def current_currencies(on: date | None = None) -> frozenset[str]:
    """ISO 4217 codes that are legal tender somewhere (on `on`, or now: without an end date)."""
    result = set()
    for code, periods in _tender_periods().items():
        for start, end in periods:
            if (on is None and end is None) or (
                on is not None and start <= on and (end is None or on <= end)
            ):
                result.add(code)
    return frozenset(result)


@cache
def known_currencies() -> frozenset[str]:
    """Every code Babel knows, withdrawn ones included."""
    return frozenset(get_global("all_currencies")) | frozenset(_tender_periods())


@cache
def currency_words() -> dict[str, str]:
    """Unambiguous symbols and names (en, zh) of current currencies -> code, casefolded."""
    seen: dict[str, set[str]] = {}
    for code in current_currencies():
        for locale in _SYMBOL_LOCALES:
            for word in (get_currency_symbol(code, locale), get_currency_name(code, locale=locale)):
                if word.casefold() != code.casefold():
                    seen.setdefault(_nfkc(word).casefold(), set()).add(code)
    words = {word: codes.pop() for word, codes in seen.items() if len(codes) == 1}
    for word in AMBIGUOUS_SYMBOLS:
        words.pop(word, None)
    words.update(CURRENCY_ALIASES)
    return words


@cache
def currency_tokens(currency: str) -> frozenset[str]:
    """What may stand next to an amount in `currency`: its code, symbols, '$' for 'A$' ..."""
    tokens = {currency.casefold()}
    for locale in _SYMBOL_LOCALES:
        symbol = _nfkc(get_currency_symbol(currency, locale)).casefold()
        tokens.add(symbol)
        if len(symbol) > 1 and not symbol[-1].isalnum():
            tokens.add(symbol[-1])  # "HK$" -> "$", "CN¥" -> "¥"
    tokens.update(word for word, code in CURRENCY_ALIASES.items() if code == currency)
    return frozenset(tokens)


def is_currency_token(token: str) -> bool:
    """Whether a casefolded word next to a number names some currency (maybe another one)."""
    return (
        token in AMBIGUOUS_SYMBOLS
        or token in currency_words()
        or token.upper() in known_currencies()
    )
