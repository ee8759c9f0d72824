"""Structured proposals: the terms a party offers, their arithmetic, and who owes what by when.

A proposal combines terms (PRODUCT.md "Outcomes and proposals"): full refund, partial refund
(an amount or a percentage of what was paid), return and refund, the return of part of the goods
for a partial refund, replacement, a discount on a future order (a percentage or an amount), or
something else described in words. `Proposal.validate` says what is wrong with
one in `ValidationError` codes; `obligations` turns an accepted one into each side's duties with
deadlines. A refund never exceeds the amount paid: the arithmetic clamps even where validation
was skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flows.rules.lifecycle import Role
from flows.rules.money import ZERO, clamp_refund, decimals, is_whole_minor_units, percent_of
from flows.rules.terms import OTHER_MAX_LEN as OTHER_MAX_LEN
from flows.rules.terms import PARTY_VALUES as PARTY_VALUES
from flows.rules.terms import PERCENT_MAX as PERCENT_MAX
from flows.rules.terms import PERCENT_MIN as PERCENT_MIN
from flows.rules.terms import REFUND_TERMS as REFUND_TERMS
from flows.rules.terms import Discount as Discount
from flows.rules.terms import FullRefund as FullRefund
from flows.rules.terms import Other as Other
from flows.rules.terms import PartialRefund as PartialRefund
from flows.rules.terms import PartialReturn as PartialReturn
from flows.rules.terms import Party as Party
from flows.rules.terms import Replacement as Replacement
from flows.rules.terms import ReturnAndRefund as ReturnAndRefund
from flows.rules.terms import Term as Term
from flows.rules.terms import TermKind as TermKind
from flows.rules.terms import decode_term, encode_term, zone
from flows.rules.validation import ValidationError, local_today


def _percent_ok(percent: Decimal) -> bool:
    return percent.is_finite() and PERCENT_MIN < percent <= PERCENT_MAX


def _refund_of(term: Term, paid: Decimal, currency: str) -> Decimal:
    """What one term refunds, before the cap at `paid`."""
    if isinstance(term, FullRefund | ReturnAndRefund):
        return paid
    if isinstance(term, PartialRefund | PartialReturn):
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
            _validate_term(term, paid, currency, now, tz)
        raw = sum((_refund_of(term, paid, currency) for term in self.terms), ZERO)
        if raw > paid:
            raise ValidationError("proposal.refund_exceeds_paid", paid=paid, currency=currency)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: Decimals as strings, dates in ISO format."""
        return {"version": 1, "terms": [encode_term(term) for term in self.terms]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proposal:
        """The proposal `to_dict` made; `ValueError` for anything else."""
        if data.get("version") != 1 or not isinstance(data.get("terms"), list):
            raise ValueError("not a stored proposal")
        return cls(tuple(decode_term(item) for item in data["terms"]))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Proposal:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a stored proposal")
        return cls.from_dict(data)


def _check_amount(amount: Decimal, currency: str) -> None:
    if not amount.is_finite() or amount <= 0:
        raise ValidationError("amount.not_positive")
    if not is_whole_minor_units(amount, currency):
        raise ValidationError("amount.too_many_decimals", decimals=decimals(currency))


def _check_text(text: str) -> None:
    text = text.strip()
    if not text:
        raise ValidationError("text.empty")
    if len(text) > OTHER_MAX_LEN:
        raise ValidationError("text.too_long", max=OTHER_MAX_LEN, length=len(text))


def _validate_term(
    term: Term, paid: Decimal, currency: str, now: datetime, tz: tzinfo | None
) -> None:
    if isinstance(term, PartialRefund | PartialReturn):
        if isinstance(term, PartialReturn):
            _check_text(term.items)
        if (term.amount is None) == (term.percent is None):
            raise ValidationError("proposal.partial_refund_needs_one")
        if term.amount is not None:
            _check_amount(term.amount, currency)
            if term.amount > paid:
                raise ValidationError("proposal.refund_exceeds_paid", paid=paid, currency=currency)
        if term.percent is not None and not _percent_ok(term.percent):
            raise ValidationError("proposal.percent_range", min=PERCENT_MIN, max=PERCENT_MAX)
    elif isinstance(term, Discount):
        if term.percent is not None and not _percent_ok(term.percent):
            raise ValidationError("proposal.percent_range", min=PERCENT_MIN, max=PERCENT_MAX)
        if term.amount is not None:
            _check_amount(term.amount, currency)
    elif isinstance(term, Replacement):
        if term.quantity <= 0:
            raise ValidationError("quantity.not_positive")
        # The date is the proposer's: judged in their zone when it is known (`tz` is the
        # caller's, for a term stored before the zone was).
        today = local_today(now, tz if term.tz == "UTC" and tz is not None else zone(term.tz))
        if term.ship_by < today:
            raise ValidationError("proposal.ship_by_past")
    elif isinstance(term, Other):
        _check_text(term.description)


# ---------------------------------------------------------------- obligations


class ObligationKind(StrEnum):
    REFUND = "refund"  # the supplier pays money back
    RETURN_GOODS = "return_goods"  # the buyer sends the goods back
    RETURN_PART = "return_part"  # the buyer sends part of the goods back
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

    Money and goods are due `fulfilment_days` after settlement; after a return (whole or part),
    the refund is due `fulfilment_days` after the return's deadline. A replacement is due at the
    end of its ship-by day in the proposer's time zone (the date and the zone are kept in the
    details, so that it is shown as that date). Refund amounts together never exceed `paid`.
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
        elif isinstance(term, PartialReturn):
            freight = {"freight_paid_by": term.freight_paid_by}
            part = {"items": term.items, **freight}
            result.append(Obligation(Role.BUYER, ObligationKind.RETURN_PART, None, due, part))
            amount = _refund_of(term, paid, currency)
            refund(amount, due + period, after=ObligationKind.RETURN_PART.value, **freight)
        elif isinstance(term, Replacement):
            details = {
                "quantity": str(term.quantity),
                "ship_by": term.ship_by.isoformat(),
                "ship_by_tz": term.tz,
            }
            result.append(
                Obligation(
                    Role.SUPPLIER, ObligationKind.SHIP_REPLACEMENT, None, term.due(), details
                )
            )
        elif isinstance(term, Discount):
            details = {}
            if term.percent is not None:
                details["percent"] = str(term.percent)
            if term.amount is not None:
                details.update(discount_amount=str(term.amount), currency=currency)
            result.append(
                Obligation(Role.SUPPLIER, ObligationKind.GRANT_DISCOUNT, None, due, details)
            )
        else:
            party = Role(term.by)
            details = {"description": term.description}
            result.append(Obligation(party, ObligationKind.OTHER, None, due, details))
    return sorted(result, key=lambda item: item.due)
