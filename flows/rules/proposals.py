"""Structured proposals: the terms a party offers, their arithmetic, and who owes what by when.

A proposal combines terms (PRODUCT.md "Outcomes and proposals"): full refund, partial refund
(an amount or a percentage of what was paid), return and refund, replacement, a discount on a
future order, or something else described in words. `Proposal.validate` says what is wrong with
one in `ValidationError` codes; `obligations` turns an accepted one into each side's duties with
deadlines. A refund never exceeds the amount paid: the arithmetic clamps even where validation
was skipped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar, Literal, cast

from flows.rules.lifecycle import Role
from flows.rules.money import ZERO, clamp_refund, decimals, is_whole_minor_units, percent_of
from flows.rules.validation import DesiredOutcome, ValidationError, local_today

Party = Literal["buyer", "supplier"]
PARTY_VALUES: tuple[Party, ...] = ("buyer", "supplier")
OTHER_MAX_LEN = 2000  # "other" terms are short: the long story belongs in the statements
PERCENT_MIN, PERCENT_MAX = Decimal(0), Decimal(100)


def _check_party(value: str) -> None:
    if value not in PARTY_VALUES:
        raise ValueError(f"party must be buyer or supplier, not {value!r}")


@dataclass(frozen=True)
class FullRefund:
    """The supplier refunds everything that was paid."""

    kind: ClassVar[DesiredOutcome] = DesiredOutcome.FULL_REFUND


@dataclass(frozen=True)
class PartialRefund:
    """The supplier refunds a fixed `amount`, or `percent` of what was paid (exactly one)."""

    kind: ClassVar[DesiredOutcome] = DesiredOutcome.PARTIAL_REFUND
    amount: Decimal | None = None
    percent: Decimal | None = None


@dataclass(frozen=True)
class ReturnAndRefund:
    """The buyer returns the goods, then the supplier refunds everything that was paid."""

    kind: ClassVar[DesiredOutcome] = DesiredOutcome.RETURN_AND_REFUND
    freight_paid_by: Party

    def __post_init__(self) -> None:
        _check_party(self.freight_paid_by)


@dataclass(frozen=True)
class Replacement:
    """The supplier ships `quantity` replacement items by `ship_by`."""

    kind: ClassVar[DesiredOutcome] = DesiredOutcome.REPLACEMENT
    quantity: int
    ship_by: date


@dataclass(frozen=True)
class Discount:
    """The supplier grants `percent` off a future order.

    `percent` is None only for a claim's requested discount: the claim form asks for no size,
    so a supplier who accepts the request commits to a discount whose size they confirm in
    writing. A proposal built by a party always names it (the builder asks for it).
    """

    kind: ClassVar[DesiredOutcome] = DesiredOutcome.DISCOUNT
    percent: Decimal | None = None


@dataclass(frozen=True)
class Other:
    """Anything else, in words; `by` is the party who must do it (usually the supplier)."""

    kind: ClassVar[DesiredOutcome] = DesiredOutcome.OTHER
    description: str
    by: Party = "supplier"

    def __post_init__(self) -> None:
        _check_party(self.by)


Term = FullRefund | PartialRefund | ReturnAndRefund | Replacement | Discount | Other
REFUND_TERMS = (FullRefund, PartialRefund, ReturnAndRefund)


def _percent_ok(percent: Decimal) -> bool:
    return percent.is_finite() and PERCENT_MIN < percent <= PERCENT_MAX


def _refund_of(term: Term, paid: Decimal, currency: str) -> Decimal:
    """What one term refunds, before the cap at `paid`."""
    if isinstance(term, FullRefund | ReturnAndRefund):
        return paid
    if isinstance(term, PartialRefund):
        if term.amount is not None:
            return term.amount
        if term.percent is not None:
            return percent_of(paid, term.percent, currency)
    return ZERO


@dataclass(frozen=True)
class Proposal:
    """One offer: a combination of terms, each kind at most once."""

    terms: tuple[Term, ...]

    def refund_total(self, paid: Decimal, currency: str) -> Decimal:
        """The money refunded under this proposal; never more than `paid`."""
        raw = sum((_refund_of(term, paid, currency) for term in self.terms), ZERO)
        return clamp_refund(raw, paid)

    def validate(
        self, paid: Decimal, currency: str, now: datetime, *, tz: tzinfo | None = None
    ) -> None:
        """Raise `ValidationError` for the first problem found; `now` dates the ship-by check."""
        if not paid.is_finite() or paid <= 0:
            raise ValueError(f"amount paid must be positive, not {paid}")
        if not self.terms:
            raise ValidationError("proposal.empty")
        kinds = [term.kind for term in self.terms]
        for kind in kinds:
            if kinds.count(kind) > 1:
                raise ValidationError("proposal.duplicate_term", term=kind.value)
        if sum(isinstance(term, REFUND_TERMS) for term in self.terms) > 1:
            raise ValidationError("proposal.conflicting_refunds")
        for term in self.terms:
            _validate_term(term, paid, currency, local_today(now, tz))
        raw = sum((_refund_of(term, paid, currency) for term in self.terms), ZERO)
        if raw > paid:
            raise ValidationError("proposal.refund_exceeds_paid", paid=paid, currency=currency)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: Decimals as strings, dates in ISO format."""
        return {"version": 1, "terms": [_encode_term(term) for term in self.terms]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proposal:
        """The proposal `to_dict` made; `ValueError` for anything else."""
        if data.get("version") != 1 or not isinstance(data.get("terms"), list):
            raise ValueError("not a stored proposal")
        return cls(tuple(_decode_term(item) for item in data["terms"]))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Proposal:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a stored proposal")
        return cls.from_dict(data)


def _validate_term(term: Term, paid: Decimal, currency: str, today: date) -> None:
    if isinstance(term, PartialRefund):
        if (term.amount is None) == (term.percent is None):
            raise ValidationError("proposal.partial_refund_needs_one")
        if term.amount is not None:
            if not term.amount.is_finite() or term.amount <= 0:
                raise ValidationError("amount.not_positive")
            if not is_whole_minor_units(term.amount, currency):
                raise ValidationError("amount.too_many_decimals", decimals=decimals(currency))
            if term.amount > paid:
                raise ValidationError("proposal.refund_exceeds_paid", paid=paid, currency=currency)
        if term.percent is not None and not _percent_ok(term.percent):
            raise ValidationError("proposal.percent_range", min=PERCENT_MIN, max=PERCENT_MAX)
    elif isinstance(term, Discount):
        if term.percent is not None and not _percent_ok(term.percent):
            raise ValidationError("proposal.percent_range", min=PERCENT_MIN, max=PERCENT_MAX)
    elif isinstance(term, Replacement):
        if term.quantity <= 0:
            raise ValidationError("quantity.not_positive")
        if term.ship_by < today:
            raise ValidationError("proposal.ship_by_past")
    elif isinstance(term, Other):
        text = term.description.strip()
        if not text:
            raise ValidationError("text.empty")
        if len(text) > OTHER_MAX_LEN:
            raise ValidationError("text.too_long", max=OTHER_MAX_LEN, length=len(text))


# ---------------------------------------------------------------- storage as JSON


def _encode_term(term: Term) -> dict[str, Any]:
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
    "replacement": lambda d: Replacement(
        _int(d.get("quantity")), date.fromisoformat(_str(d.get("ship_by")))
    ),
    "discount": lambda d: Discount(_optional_decimal(d.get("percent"))),
    "other": lambda d: Other(_str(d.get("description")), _party(d.get("by", "supplier"))),
}


def _decode_term(item: Any) -> Term:
    if not isinstance(item, dict) or item.get("kind") not in _DECODERS:
        raise ValueError(f"not a stored term: {item!r}")
    return _DECODERS[item["kind"]](item)


# ---------------------------------------------------------------- obligations


class ObligationKind(StrEnum):
    REFUND = "refund"  # the supplier pays money back
    RETURN_GOODS = "return_goods"  # the buyer sends the goods back
    SHIP_REPLACEMENT = "ship_replacement"
    GRANT_DISCOUNT = "grant_discount"  # the supplier confirms the discount in writing
    OTHER = "other"


@dataclass(frozen=True)
class Obligation:
    """One duty of one party under an accepted proposal or a decision."""

    party: Role
    kind: ObligationKind
    amount: Decimal | None
    due: datetime
    details: dict[str, str] = field(default_factory=dict)


def obligations(
    proposal: Proposal,
    paid: Decimal,
    currency: str,
    settled_at: datetime,
    fulfilment_days: int,
) -> list[Obligation]:
    """Who does what by when, once `proposal` is accepted at `settled_at`, sorted by due time.

    Money and goods are due `fulfilment_days` after settlement; after a return, the refund is due
    `fulfilment_days` after the return's deadline. A replacement is due at the end of its ship-by
    day in `settled_at`'s time zone. Refund amounts together never exceed `paid`.
    """
    period = timedelta(days=fulfilment_days)
    due = settled_at + period
    budget = paid  # what is still refundable, so that the total never exceeds `paid`
    result: list[Obligation] = []

    def refund(amount: Decimal, when: datetime, **details: str) -> None:
        nonlocal budget
        owed = clamp_refund(amount, budget)
        budget -= owed
        if owed > 0:
            money = {"currency": currency, **details}
            result.append(Obligation(Role.SUPPLIER, ObligationKind.REFUND, owed, when, money))

    for term in proposal.terms:
        if isinstance(term, FullRefund | PartialRefund):
            refund(_refund_of(term, paid, currency), due)
        elif isinstance(term, ReturnAndRefund):
            freight: dict[str, str] = {"freight_paid_by": term.freight_paid_by}
            result.append(Obligation(Role.BUYER, ObligationKind.RETURN_GOODS, None, due, freight))
            refund(paid, due + period, after=ObligationKind.RETURN_GOODS.value, **freight)
        elif isinstance(term, Replacement):
            end_of_day = datetime.combine(term.ship_by, time(23, 59, 59), settled_at.tzinfo)
            details = {"quantity": str(term.quantity), "ship_by": term.ship_by.isoformat()}
            result.append(
                Obligation(
                    Role.SUPPLIER, ObligationKind.SHIP_REPLACEMENT, None, end_of_day, details
                )
            )
        elif isinstance(term, Discount):
            details = {} if term.percent is None else {"percent": str(term.percent)}
            result.append(
                Obligation(Role.SUPPLIER, ObligationKind.GRANT_DISCOUNT, None, due, details)
            )
        else:
            party = Role(term.by)
            details = {"description": term.description}
            result.append(Obligation(party, ObligationKind.OTHER, None, due, details))
    return sorted(result, key=lambda item: item.due)
