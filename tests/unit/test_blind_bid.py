"""Blind bidding: matching the two private figures, round bookkeeping, bid checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.rules.blind_bid import (
    BidOutcome,
    BidResult,
    BidRound,
    BlindBidPolicy,
    can_start_round,
    check_bid,
    match,
)
from flows.rules.lifecycle import Role
from flows.rules.money import minor_unit
from flows.rules.validation import ValidationError

D = Decimal
FAST = settings(max_examples=300, deadline=None)


@pytest.mark.parametrize(
    ("buyer_min", "supplier_max", "claim", "currency", "expected"),
    [
        # the supplier's figure reaches the buyer's: settled at the midpoint
        ("600", "800", "1000", "USD", BidResult(BidOutcome.SETTLED, D("700.00"))),
        ("700", "700", "1000", "USD", BidResult(BidOutcome.SETTLED, D("700.00"))),
        ("100.01", "100.02", "1000", "USD", BidResult(BidOutcome.SETTLED, D("100.02"))),
        ("100", "101", "1000", "JPY", BidResult(BidOutcome.SETTLED, D("101"))),
        # apart by no more than 10% of the claim: both are offered the midpoint
        ("800", "700", "1000", "USD", BidResult(BidOutcome.OFFER_MIDPOINT, D("750.00"))),
        ("800", "750.01", "500", "USD", BidResult(BidOutcome.OFFER_MIDPOINT, D("775.01"))),
        ("800", "700", "1000", "JPY", BidResult(BidOutcome.OFFER_MIDPOINT, D("750"))),
        # further apart: nothing is revealed
        ("800", "699.99", "1000", "USD", BidResult(BidOutcome.NO_OVERLAP)),
        ("1000", "1", "1000", "USD", BidResult(BidOutcome.NO_OVERLAP)),
    ],
)
def test_match(
    buyer_min: str, supplier_max: str, claim: str, currency: str, expected: BidResult
) -> None:
    assert match(D(buyer_min), D(supplier_max), D(claim), currency, BlindBidPolicy()) == expected


def test_match_gap_is_configuration() -> None:
    wide = BlindBidPolicy(gap_fraction=D("0.5"))
    result = match(D(900), D(500), D(1000), "USD", wide)
    assert result == BidResult(BidOutcome.OFFER_MIDPOINT, D("700.00"))
    assert match(D(900), D(500), D(1000), "USD").kind is BidOutcome.NO_OVERLAP


@pytest.mark.parametrize(
    ("buyer_min", "supplier_max", "code"),
    [
        ("0", "10", "bid.not_positive"),
        ("10", "-1", "bid.not_positive"),
        ("NaN", "10", "bid.not_positive"),
        ("10.001", "10", "amount.too_many_decimals"),
    ],
)
def test_match_refuses_bad_bids(buyer_min: str, supplier_max: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        match(D(buyer_min), D(supplier_max), D(100), "USD")
    assert info.value.code == code


@pytest.mark.parametrize(
    ("amount", "code", "params"),
    [
        ("50", None, {}),
        ("100", None, {}),
        ("0", "bid.not_positive", {}),
        ("-3", "bid.not_positive", {}),
        ("100.01", "bid.exceeds_paid", {"paid": D(100), "currency": "USD"}),
        ("1.234", "amount.too_many_decimals", {"decimals": 2}),
    ],
)
def test_check_bid(amount: str, code: str | None, params: dict[str, object]) -> None:
    if code is None:
        assert check_bid(D(amount), D(100), "USD") == D(amount)
        return
    with pytest.raises(ValidationError) as info:
        check_bid(D(amount), D(100), "USD")
    assert info.value.code == code
    assert info.value.params == params


currencies = st.sampled_from(["USD", "JPY", "KWD"])


@st.composite
def bids(draw: st.DrawFn) -> tuple[Decimal, Decimal, Decimal, str]:
    currency = draw(currencies)
    unit = minor_unit(currency)
    claim_units = draw(st.integers(min_value=1, max_value=10**9))
    buyer = draw(st.integers(min_value=1, max_value=claim_units))
    supplier = draw(st.integers(min_value=1, max_value=claim_units))
    return buyer * unit, supplier * unit, claim_units * unit, currency


@FAST
@given(bids())
def test_midpoint_lies_between_the_bids(case: tuple[Decimal, Decimal, Decimal, str]) -> None:
    buyer_min, supplier_max, claim, currency = case
    result = match(buyer_min, supplier_max, claim, currency)
    low, high = sorted((buyer_min, supplier_max))
    if result.kind is BidOutcome.NO_OVERLAP:
        assert result.amount is None  # nothing to reveal
        assert buyer_min - supplier_max > D("0.10") * claim
        return
    assert result.amount is not None
    assert low <= result.amount <= high
    assert result.amount == result.amount.quantize(minor_unit(currency))
    if result.kind is BidOutcome.SETTLED:
        assert supplier_max >= buyer_min
    else:
        assert D(0) < buyer_min - supplier_max <= D("0.10") * claim


def test_a_result_holds_only_the_outcome_and_the_midpoint() -> None:
    assert set(BidResult.__dataclass_fields__) == {"kind", "amount"}


@pytest.mark.parametrize(("rounds_done", "allowed"), [(0, True), (1, True), (2, True), (3, False)])
def test_can_start_round(rounds_done: int, allowed: bool) -> None:
    assert can_start_round(rounds_done, BlindBidPolicy()) is allowed


def test_can_start_round_follows_policy() -> None:
    assert can_start_round(4, BlindBidPolicy(max_rounds=5))
    assert not can_start_round(1, BlindBidPolicy(max_rounds=1))


def test_bid_round_bookkeeping() -> None:
    paid = D(1000)
    first = BidRound(1)
    assert first.waiting_for() == {Role.BUYER, Role.SUPPLIER}
    first = first.with_bid(Role.BUYER, D(900), paid, "USD")
    first = first.with_bid(Role.BUYER, D(850), paid, "USD")  # changed before the other side bid
    assert first.waiting_for() == {Role.SUPPLIER}
    assert not first.complete
    with pytest.raises(ValueError, match="not complete"):
        first.resolve(paid, "USD")
    first = first.with_bid(Role.SUPPLIER, D(500), paid, "USD")
    assert first.complete
    assert first.resolve(paid, "USD") == BidResult(BidOutcome.NO_OVERLAP)
    with pytest.raises(ValueError, match="round is over"):
        first.with_bid(Role.SUPPLIER, D(600), paid, "USD")

    second = first.next_round()
    assert second == BidRound(2)
    third = second.next_round() if second else None
    assert third == BidRound(3)
    assert third is not None and third.next_round() is None  # three rounds at most


def test_bid_round_checks_bids_and_bidders() -> None:
    with pytest.raises(ValidationError) as info:
        BidRound(1).with_bid(Role.BUYER, D(1001), D(1000), "USD")
    assert info.value.code == "bid.exceeds_paid"
    with pytest.raises(ValueError, match="only the parties"):
        BidRound(1).with_bid(Role.MEDIATOR, D(10), D(1000), "USD")
