"""Structured proposals: validation codes, refund arithmetic, JSON storage and obligations."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.rules.lifecycle import Role
from flows.rules.proposals import (
    Discount,
    FullRefund,
    Obligation,
    ObligationKind,
    Other,
    PartialRefund,
    PartialReturn,
    Proposal,
    Replacement,
    ReturnAndRefund,
    Term,
    TermKind,
    obligations,
)
from flows.rules.validation import DesiredOutcome, ValidationError

D = Decimal
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
PAID = D("1000.00")
FAST = settings(max_examples=200, deadline=None)


def p(*terms: Term) -> Proposal:
    return Proposal(tuple(terms))


@pytest.mark.parametrize(
    ("proposal", "currency", "expected"),
    [
        (p(FullRefund()), "USD", "1000.00"),
        (p(PartialRefund(amount=D("250.50"))), "USD", "250.50"),
        (p(PartialRefund(percent=D(30))), "USD", "300.00"),
        (p(PartialRefund(percent=D("33.333"))), "USD", "333.33"),
        (p(ReturnAndRefund("buyer")), "USD", "1000.00"),
        (p(Replacement(5, TODAY)), "USD", "0"),
        (p(Discount(D(10))), "USD", "0"),
        (p(Other("send the manual")), "USD", "0"),
        (p(PartialRefund(amount=D(100)), Replacement(2, TODAY)), "USD", "100"),
        # arithmetic clamps even an invalid proposal at the amount paid
        (p(FullRefund(), PartialRefund(amount=D(1))), "USD", "1000.00"),
        (p(PartialRefund(amount=D(5000))), "USD", "1000.00"),
    ],
)
def test_refund_total(proposal: Proposal, currency: str, expected: str) -> None:
    assert proposal.refund_total(PAID, currency) == D(expected)


VALID = [
    p(FullRefund()),
    p(PartialRefund(amount=D("0.01"))),
    p(PartialRefund(amount=PAID)),
    p(PartialRefund(percent=D(100))),
    p(ReturnAndRefund("supplier")),
    p(Replacement(1, TODAY)),  # shipping today is still on time
    p(Discount(D("12.5"))),
    p(Other("  replace the broken lids  ")),
    p(PartialRefund(percent=D(20)), Replacement(3, TODAY + timedelta(days=10)), Discount(D(5))),
    p(FullRefund(), Other("apologise in writing", by="supplier")),
]


@pytest.mark.parametrize("proposal", VALID)
def test_valid_proposals(proposal: Proposal) -> None:
    proposal.validate(PAID, "USD", NOW)


@pytest.mark.parametrize(
    ("proposal", "code", "params"),
    [
        (p(), "proposal.empty", {}),
        (p(FullRefund(), FullRefund()), "proposal.duplicate_term", {"term": "full_refund"}),
        (p(Discount(D(5)), Discount(D(6))), "proposal.duplicate_term", {"term": "discount"}),
        (p(FullRefund(), PartialRefund(amount=D(10))), "proposal.conflicting_refunds", {}),
        (p(ReturnAndRefund("buyer"), FullRefund()), "proposal.conflicting_refunds", {}),
        (
            p(ReturnAndRefund("buyer"), PartialRefund(percent=D(5))),
            "proposal.conflicting_refunds",
            {},
        ),
        (p(PartialRefund()), "proposal.partial_refund_needs_one", {}),
        (
            p(PartialRefund(amount=D(10), percent=D(10))),
            "proposal.partial_refund_needs_one",
            {},
        ),
        (
            p(PartialRefund(amount=D("1000.01"))),
            "proposal.refund_exceeds_paid",
            {"paid": PAID, "currency": "USD"},
        ),
        (p(PartialRefund(amount=D(0))), "amount.not_positive", {}),
        (p(PartialRefund(amount=D(-5))), "amount.not_positive", {}),
        (p(PartialRefund(amount=D("NaN"))), "amount.not_positive", {}),
        (p(PartialRefund(amount=D("1.001"))), "amount.too_many_decimals", {"decimals": 2}),
        (p(PartialRefund(percent=D(0))), "proposal.percent_range", {"min": 0, "max": 100}),
        (p(PartialRefund(percent=D("100.01"))), "proposal.percent_range", {}),
        (p(PartialRefund(percent=D("-1"))), "proposal.percent_range", {}),
        (p(Discount(D(0))), "proposal.percent_range", {}),
        (p(Discount(D(150))), "proposal.percent_range", {}),
        (p(Discount(D("Infinity"))), "proposal.percent_range", {}),
        (p(Replacement(0, TODAY)), "quantity.not_positive", {}),
        (p(Replacement(5, TODAY - timedelta(days=1))), "proposal.ship_by_past", {}),
        (p(Other("   ")), "text.empty", {}),
        (p(Other("x" * 2001)), "text.too_long", {"max": 2000}),
    ],
)
def test_invalid_proposals(proposal: Proposal, code: str, params: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as info:
        proposal.validate(PAID, "USD", NOW)
    assert info.value.code == code
    for name, value in params.items():
        assert info.value.params[name] == value


def test_ship_by_is_judged_in_the_given_time_zone() -> None:
    late_evening = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 21 Nov in Shanghai
    proposal = p(Replacement(1, date(2026, 11, 20)))
    proposal.validate(PAID, "USD", late_evening)
    with pytest.raises(ValidationError, match="ship_by_past"):
        proposal.validate(PAID, "USD", late_evening, tz=ZoneInfo("Asia/Shanghai"))


def test_amount_paid_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        p(FullRefund()).validate(D(0), "USD", NOW)


def test_bad_party_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="party"):
        ReturnAndRefund("mediator")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="party"):
        Other("x", by="nobody")  # type: ignore[arg-type]


def test_term_kinds_are_the_desired_outcomes_and_the_partial_return() -> None:
    kinds = {t.kind for t in (FullRefund, PartialRefund, ReturnAndRefund, Replacement)}
    kinds |= {Discount.kind, Other.kind}
    assert kinds == set(DesiredOutcome)
    assert {*kinds, PartialReturn.kind} == set(TermKind)


# ---------------------------------------------------------------- JSON storage


@pytest.mark.parametrize("proposal", VALID)
def test_json_round_trip(proposal: Proposal) -> None:
    text = proposal.to_json()
    assert Proposal.from_json(text) == proposal
    assert Proposal.from_dict(json.loads(text)) == proposal


def test_json_shape() -> None:
    proposal = p(
        PartialRefund(amount=D("12.50")),
        Replacement(3, date(2026, 12, 1), "Asia/Shanghai"),
        Other("说明书", by="buyer"),
    )
    assert json.loads(proposal.to_json()) == {
        "version": 1,
        "terms": [
            {"kind": "partial_refund", "amount": "12.50", "percent": None},
            {"kind": "replacement", "quantity": 3, "ship_by": "2026-12-01", "tz": "Asia/Shanghai"},
            {"kind": "other", "description": "说明书", "by": "buyer"},
        ],
    }
    assert "说明书" in proposal.to_json()  # stored readable, not \\u-escaped


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"terms": []}',
        '{"version": 2, "terms": []}',
        '{"version": 1, "terms": {}}',
    ],
)
def test_from_json_refuses_other_documents(text: str) -> None:
    with pytest.raises(ValueError):
        Proposal.from_json(text)


@pytest.mark.parametrize(
    "term",
    [
        '{"kind": "bribe"}',
        '"full_refund"',
        '{"kind": "discount", "percent": 10}',
        '{"kind": "discount", "percent": "NaN"}',
        '{"kind": "discount", "percent": "ten"}',
        '{"kind": "replacement", "quantity": "3", "ship_by": "2026-01-01"}',
        '{"kind": "replacement", "quantity": true, "ship_by": "2026-01-01"}',
        '{"kind": "replacement", "quantity": 3, "ship_by": "soon"}',
        '{"kind": "return_and_refund", "freight_paid_by": "me"}',
        '{"kind": "other", "description": 5}',
    ],
)
def test_from_json_refuses_terms_to_json_never_wrote(term: str) -> None:
    with pytest.raises(ValueError):
        Proposal.from_json('{"version": 1, "terms": [' + term + "]}")


terms = st.one_of(
    st.just(FullRefund()),
    st.builds(
        PartialRefund,
        amount=st.none() | st.decimals(min_value=D("0.01"), max_value=D(10**6), places=2),
        percent=st.none() | st.decimals(min_value=D(0), max_value=D(120), places=3),
    ),
    st.builds(ReturnAndRefund, st.sampled_from(["buyer", "supplier"])),
    st.builds(Replacement, st.integers(-5, 10**6), st.dates()),
    st.builds(Discount, st.decimals(min_value=D(-10), max_value=D(200), places=2)),
    st.builds(Other, st.text(max_size=50), st.sampled_from(["buyer", "supplier"])),
)
proposals = st.lists(terms, max_size=5).map(lambda ts: Proposal(tuple(ts)))
paid_amounts = st.decimals(min_value=D("0.01"), max_value=D(10**6), places=2)


@FAST
@given(proposals)
def test_any_proposal_round_trips_through_json(proposal: Proposal) -> None:
    assert Proposal.from_json(proposal.to_json()) == proposal


@FAST
@given(proposals, paid_amounts)
def test_refunds_never_exceed_paid(proposal: Proposal, paid: Decimal) -> None:
    total = proposal.refund_total(paid, "USD")
    assert D(0) <= total <= paid
    owed = sum((o.amount or D(0) for o in obligations(proposal, paid, "USD", NOW, 7)), D(0))
    assert owed <= paid
    try:
        proposal.validate(paid, "USD", NOW)
    except ValidationError:
        return
    assert owed == total  # a valid proposal's obligations pay exactly its refund


# ---------------------------------------------------------------- obligations


def test_obligations_for_a_refund() -> None:
    result = obligations(p(PartialRefund(percent=D(25))), PAID, "USD", NOW, 7)
    assert result == [
        Obligation(
            Role.SUPPLIER,
            ObligationKind.REFUND,
            D("250.00"),
            NOW + timedelta(days=7),
            {"currency": "USD"},
        )
    ]


def test_obligations_for_return_and_refund_come_in_order() -> None:
    buyer, supplier = obligations(p(ReturnAndRefund("supplier")), PAID, "USD", NOW, 7)
    assert (buyer.party, buyer.kind, buyer.amount) == (
        Role.BUYER,
        ObligationKind.RETURN_GOODS,
        None,
    )
    assert buyer.due == NOW + timedelta(days=7)
    assert buyer.details == {"freight_paid_by": "supplier"}
    assert (supplier.party, supplier.kind, supplier.amount) == (
        Role.SUPPLIER,
        ObligationKind.REFUND,
        PAID,
    )
    assert supplier.due == NOW + timedelta(days=14)  # after the return
    assert supplier.details["after"] == "return_goods"


def test_obligations_for_replacement_discount_and_other() -> None:
    ship_by = date(2026, 12, 1)
    result = obligations(
        p(Other("pay for the inspection", by="buyer"), Discount(D(5)), Replacement(10, ship_by)),
        PAID,
        "USD",
        NOW,
        3,
    )
    by_kind = {o.kind: o for o in result}
    assert [o.due for o in result] == sorted(o.due for o in result)
    replacement = by_kind[ObligationKind.SHIP_REPLACEMENT]
    assert replacement.party is Role.SUPPLIER
    assert replacement.due == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
    assert replacement.details == {"quantity": "10", "ship_by": "2026-12-01", "ship_by_tz": "UTC"}
    discount = by_kind[ObligationKind.GRANT_DISCOUNT]
    assert (discount.party, discount.details) == (Role.SUPPLIER, {"percent": "5"})
    other = by_kind[ObligationKind.OTHER]
    assert (other.party, other.due) == (Role.BUYER, NOW + timedelta(days=3))
    assert all(o.amount is None for o in result)
