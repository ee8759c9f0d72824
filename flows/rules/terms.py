"""The terms a proposal can combine, and how each is stored as JSON.

Each term is a frozen dataclass whose `kind` names it (`TermKind`); `encode_term` and
`decode_term` turn one into a JSON-ready dict and back (`ValueError` for anything else).
`flows.rules.proposals` combines them into proposals and obligations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Party = Literal["buyer", "supplier"]
PARTY_VALUES: tuple[Party, ...] = ("buyer", "supplier")
OTHER_MAX_LEN = 2000  # "other" terms are short: the long story belongs in the statements
PERCENT_MIN, PERCENT_MAX = Decimal(0), Decimal(100)


def _check_party(value: str) -> None:
    if value not in PARTY_VALUES:
        raise ValueError(f"party must be buyer or supplier, not {value!r}")


def _check_one(amount: Decimal | None, percent: Decimal | None) -> None:
    if amount is not None and percent is not None:
        raise ValueError("an amount or a percentage, not both")


class TermKind(StrEnum):
    """The kinds of term: the outcomes a claim may ask for (`DesiredOutcome`, same values),
    and the return of part of the goods, which only a proposal offers."""

    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    RETURN_AND_REFUND = "return_and_refund"
    PARTIAL_RETURN = "partial_return"
    REPLACEMENT = "replacement"
    DISCOUNT = "discount"
    OTHER = "other"


@dataclass(frozen=True)
class FullRefund:
    """The supplier refunds everything that was paid."""

    kind: ClassVar[TermKind] = TermKind.FULL_REFUND


@dataclass(frozen=True)
class PartialRefund:
    """The supplier refunds a fixed `amount`, or `percent` of what was paid (exactly one)."""

    kind: ClassVar[TermKind] = TermKind.PARTIAL_REFUND
    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class ReturnAndRefund:
    """The buyer returns the goods, then the supplier refunds everything that was paid."""

    kind: ClassVar[TermKind] = TermKind.RETURN_AND_REFUND
    freight_paid_by: Party

    def __post_init__(self) -> None:
        _check_party(self.freight_paid_by)


@dataclass(frozen=True)
class PartialReturn:
    """The buyer returns part of the goods (`items`, in words), then the supplier refunds a
    fixed `amount` or `percent` of what was paid (exactly one)."""

    kind: ClassVar[TermKind] = TermKind.PARTIAL_RETURN
    items: str
    freight_paid_by: Party
    amount: Decimal | None = None
    percent: Decimal | None = None

    def __post_init__(self) -> None:
        _check_party(self.freight_paid_by)
        _check_one(self.amount, self.percent)


@dataclass(frozen=True)
class Replacement:
    """The supplier ships `quantity` replacement items by `ship_by`: a calendar date in the
    proposer's time zone `tz` (an IANA name), due at the end of that day there."""

    kind: ClassVar[TermKind] = TermKind.REPLACEMENT
    quantity: int
    ship_by: date
    tz: str = "UTC"

    def __post_init__(self) -> None:
        zone(self.tz)

    def due(self) -> datetime:
        """The end of the ship-by day in the proposer's zone."""
        return datetime.combine(self.ship_by, time(23, 59, 59), zone(self.tz))


def zone(name: str) -> ZoneInfo:
    """The time zone named `name`; ValueError for a name that is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not a time zone: {name!r}") from None


@dataclass(frozen=True)
class Discount:
    """The supplier grants `percent` off a future order, or `amount` (in the claim's currency).

    Both are None only for a claim's requested discount drafted before the claim form asked
    for its size: a supplier who accepts that request commits to a discount whose size they
    confirm in writing. The claim form and the proposal builder always name it.
    """

    kind: ClassVar[TermKind] = TermKind.DISCOUNT
    percent: Decimal | None = None
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        _check_one(self.amount, self.percent)


@dataclass(frozen=True)
class Other:
    """Anything else, in words; `by` is the party who must do it (usually the supplier)."""

    kind: ClassVar[TermKind] = TermKind.OTHER
    description: str
    by: Party = "supplier"

    def __post_init__(self) -> None:
        _check_party(self.by)


Term = FullRefund | PartialRefund | ReturnAndRefund | PartialReturn | Replacement | Discount | Other
REFUND_TERMS = (FullRefund, PartialRefund, ReturnAndRefund, PartialReturn)

# ---------------------------------------------------------------- storage as JSON


def encode_term(term: Term) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": term.kind.value}
    for name in term.__dataclass_fields__:
        value = getattr(term, name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        data[name] = value
    return data


def _decimal(value: Any) -> Decimal:
    try:
        result = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise ValueError(f"not a stored amount: {value!r}")
    return result


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"not a stored integer: {value!r}")
    return value


def _party(value: Any) -> Party:
    if value not in PARTY_VALUES:
        raise ValueError(f"not a stored party: {value!r}")
    return cast(Party, value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a stored text: {value!r}")
    return value


_DECODERS: dict[str, Callable[[Mapping[str, Any]], Term]] = {
    "full_refund": lambda d: FullRefund(),
    "partial_refund": lambda d: PartialRefund(
        _optional_decimal(d.get("amount")), _optional_decimal(d.get("percent"))
    ),
    "return_and_refund": lambda d: ReturnAndRefund(_party(d.get("freight_paid_by"))),
    "partial_return": lambda d: PartialReturn(
        _str(d.get("items")),
        _party(d.get("freight_paid_by")),
        _optional_decimal(d.get("amount")),
        _optional_decimal(d.get("percent")),
    ),
    "replacement": lambda d: Replacement(
        _int(d.get("quantity")),
        date.fromisoformat(_str(d.get("ship_by"))),
        _str(d.get("tz", "UTC")),
    ),
    "discount": lambda d: Discount(
        _optional_decimal(d.get("percent")), _optional_decimal(d.get("amount"))
    ),
    "other": lambda d: Other(_str(d.get("description")), _party(d.get("by", "supplier"))),
}


def decode_term(item: Any) -> Term:
    if not isinstance(item, dict) or item.get("kind") not in _DECODERS:
        raise ValueError(f"not a stored term: {item!r}")
    return _DECODERS[item["kind"]](item)
