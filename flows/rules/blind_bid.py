"""Blind bidding: each side names privately the money figure it can live with.

The buyer names the least refund it accepts, the supplier the most it will pay. If the supplier's
figure reaches the buyer's, the case settles at the midpoint; if the gap between them is within
`gap_fraction` of the claim, both are offered the midpoint; otherwise nothing is revealed and they
may bid again, up to `max_rounds` rounds. A result never carries either figure, only the midpoint
where the rules say it is shown: the figures stay with the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from flows.rules.lifecycle import Role
from flows.rules.money import decimals, is_whole_minor_units, midpoint
from flows.rules.validation import ValidationError


@dataclass(frozen=True)
class BlindBidPolicy:
    """How close the figures must be for a midpoint offer, and how many rounds (config)."""

    gap_fraction: Decimal = Decimal("0.10")  # of the claimed amount
    max_rounds: int = 3


class BidOutcome(StrEnum):
    SETTLED = "settled"  # the supplier's figure reached the buyer's: settled at the midpoint
    OFFER_MIDPOINT = "offer_midpoint"  # close enough: both are offered the midpoint
    NO_OVERLAP = "no_overlap"  # too far apart: nothing is revealed


@dataclass(frozen=True)
class BidResult:
    """What a round produced; `amount` is the midpoint, or None when nothing may be revealed."""

    kind: BidOutcome
    amount: Decimal | None = None


def check_bid(amount: Decimal, paid: Decimal, currency: str) -> Decimal:
    """A bid must be a positive amount in whole minor units, no more than was paid."""
    if not amount.is_finite() or amount <= 0:
        raise ValidationError("bid.not_positive")
    if not is_whole_minor_units(amount, currency):
        raise ValidationError("amount.too_many_decimals", decimals=decimals(currency))
    if amount > paid:
        raise ValidationError("bid.exceeds_paid", paid=paid, currency=currency)
    return amount


def match(
    buyer_min: Decimal,
    supplier_max: Decimal,
    claim_amount: Decimal,
    currency: str,
    policy: BlindBidPolicy | None = None,
) -> BidResult:
    """Compare the two private figures of one round.

    Both figures must already have passed `check_bid` (positive, whole minor units): then the
    midpoint, rounded half-up, lies between them.
    """
    policy = policy or BlindBidPolicy()
    for bid in (buyer_min, supplier_max):
        if not bid.is_finite() or bid <= 0:
            raise ValidationError("bid.not_positive")
        if not is_whole_minor_units(bid, currency):
            raise ValidationError("amount.too_many_decimals", decimals=decimals(currency))
    middle = midpoint(buyer_min, supplier_max, currency)
    if supplier_max >= buyer_min:
        return BidResult(BidOutcome.SETTLED, middle)
    if buyer_min - supplier_max <= policy.gap_fraction * claim_amount:
        return BidResult(BidOutcome.OFFER_MIDPOINT, middle)
    return BidResult(BidOutcome.NO_OVERLAP)


def can_start_round(rounds_done: int, policy: BlindBidPolicy | None = None) -> bool:
    """Whether another round may start after `rounds_done` finished rounds."""
    return rounds_done < (policy or BlindBidPolicy()).max_rounds


@dataclass(frozen=True)
class BidRound:
    """One round's bookkeeping: the round number (from 1) and the figures received so far."""

    number: int
    buyer_min: Decimal | None = None
    supplier_max: Decimal | None = None

    def with_bid(self, role: Role, amount: Decimal, paid: Decimal, currency: str) -> BidRound:
        """This round with `role`'s figure recorded (a party may change it until both are in)."""
        check_bid(amount, paid, currency)
        if self.complete:
            raise ValueError("both figures are in: the round is over")
        if role is Role.BUYER:
            return replace(self, buyer_min=amount)
        if role is Role.SUPPLIER:
            return replace(self, supplier_max=amount)
        raise ValueError(f"only the parties bid, not the {role}")

    @property
    def complete(self) -> bool:
        return self.buyer_min is not None and self.supplier_max is not None

    def waiting_for(self) -> frozenset[Role]:
        """The parties whose figure is still missing."""
        missing = set()
        if self.buyer_min is None:
            missing.add(Role.BUYER)
        if self.supplier_max is None:
            missing.add(Role.SUPPLIER)
        return frozenset(missing)

    def resolve(
        self, claim_amount: Decimal, currency: str, policy: BlindBidPolicy | None = None
    ) -> BidResult:
        """The round's result, once both figures are in."""
        if self.buyer_min is None or self.supplier_max is None:
            raise ValueError("the round is not complete")
        return match(self.buyer_min, self.supplier_max, claim_amount, currency, policy)

    def next_round(self, policy: BlindBidPolicy | None = None) -> BidRound | None:
        """A fresh round after this one, or None when the last round was used."""
        return BidRound(self.number + 1) if can_start_round(self.number, policy) else None
