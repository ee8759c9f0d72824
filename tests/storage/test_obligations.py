"""Obligations: pending -> done -> confirmed (or disputed and done again), each move once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from flows.rules import proposals as rules
from flows.rules.lifecycle import Action, DeadlineKind, Role
from storage import Conflict, Database, NewObligation, NotFound, Obligation
from tests.storage.factory import BUYER, SUPPLIER, deadline, negotiation_case

H = timedelta(hours=1)


async def _settled(db: Database, now: datetime) -> tuple[int, list[Obligation]]:
    """A case settled on a partial refund plus a discount: two supplier obligations."""
    case = await negotiation_case(db, now)
    terms = rules.Proposal(
        (rules.PartialRefund(amount=Decimal("300.50")), rules.Discount(Decimal("5")))
    )
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, terms.to_dict(), now)
    due = [
        NewObligation.from_rule(o, "USD")
        for o in rules.obligations(terms, Decimal("1200.00"), "USD", now, 7)
    ]
    _, _, created = await db.proposals.accept(
        proposal.id,
        SUPPLIER,
        Role.SUPPLIER,
        now,
        action=Action.ACCEPT_PROPOSAL,
        new_deadline=deadline(DeadlineKind.FULFILMENT, now),
        obligations=due,
    )
    return case.id, created


def test_new_obligation_from_rule(now: datetime) -> None:
    refund = rules.Obligation(Role.SUPPLIER, rules.ObligationKind.REFUND, Decimal("9.99"), now)
    ship = rules.Obligation(
        Role.SUPPLIER, rules.ObligationKind.SHIP_REPLACEMENT, None, now, {"quantity": "2"}
    )
    assert NewObligation.from_rule(refund, "EUR") == NewObligation(
        Role.SUPPLIER, "refund", Decimal("9.99"), "EUR", now, {}
    )
    assert NewObligation.from_rule(ship, "EUR") == NewObligation(
        Role.SUPPLIER, "ship_replacement", None, None, now, {"quantity": "2"}
    )


async def test_amounts_are_exact_and_listed_in_order(db: Database, now: datetime) -> None:
    case_id, created = await _settled(db, now)
    refund, discount = created
    assert (refund.kind, refund.amount, refund.currency) == ("refund", Decimal("300.50"), "USD")
    assert str(refund.amount) == "300.50"  # the scale survives the round trip
    assert (discount.kind, discount.amount, discount.details) == (
        "grant_discount",
        None,
        {"percent": "5"},
    )
    assert await db.obligations.list(case_id) == created
    assert await db.obligations.get(refund.id) == refund
    assert await db.obligations.get(refund.id + 404) is None


async def test_done_confirmed_and_all_confirmed(db: Database, now: datetime) -> None:
    case_id, (refund, discount) = await _settled(db, now)
    await db.evidence.add(case_id, SUPPLIER, Role.SUPPLIER, "document", "wire slip", "payment", now)
    assert not await db.obligations.all_confirmed(case_id)

    done = await db.obligations.mark_done(refund.id, SUPPLIER, now + H, proof_evidence_number=1)
    assert (done.status, done.done_at, done.done_by, done.proof_evidence_number) == (
        "done",
        now + H,
        SUPPLIER,
        1,
    )
    confirmed = await db.obligations.confirm(refund.id, BUYER, now + 2 * H)
    assert (confirmed.status, confirmed.confirmed_at, confirmed.confirmed_by) == (
        "confirmed",
        now + 2 * H,
        BUYER,
    )
    assert not await db.obligations.all_confirmed(case_id)
    await db.obligations.mark_done(discount.id, SUPPLIER, now + 3 * H)
    await db.obligations.confirm(discount.id, BUYER, now + 3 * H)
    assert await db.obligations.all_confirmed(case_id)
    assert not await db.obligations.all_confirmed(case_id + 404)  # no obligations at all

    events = [e for e in await db.history.list(case_id) if e.kind.startswith("obligation.")]
    assert [(e.kind, e.actor_id, e.actor_role) for e in events[2:]] == [
        ("obligation.done", SUPPLIER, Role.SUPPLIER),
        ("obligation.confirmed", BUYER, Role.BUYER),
        ("obligation.done", SUPPLIER, Role.SUPPLIER),
        ("obligation.confirmed", BUYER, Role.BUYER),
    ]
    assert events[2].payload == {"number": 1, "proof_evidence_number": 1}
    assert events[3].payload == {"number": 1}


async def test_dispute_then_done_again(db: Database, now: datetime) -> None:
    case_id, (refund, _) = await _settled(db, now)
    await db.obligations.mark_done(refund.id, SUPPLIER, now)
    with pytest.raises(ValueError):
        await db.obligations.dispute(refund.id, BUYER, now, "  ")
    disputed = await db.obligations.dispute(refund.id, BUYER, now + H, "nothing arrived")
    assert (disputed.status, disputed.disputed_by, disputed.dispute_reason) == (
        "disputed",
        BUYER,
        "nothing arrived",
    )
    with pytest.raises(Conflict, match="obligation is disputed"):
        await db.obligations.confirm(refund.id, BUYER, now)
    again = await db.obligations.mark_done(refund.id, SUPPLIER, now + 2 * H)
    assert (again.status, again.done_at) == ("done", now + 2 * H)
    [event] = [e for e in await db.history.list(case_id) if e.kind == "obligation.disputed"]
    assert event.payload == {"number": 1, "reason": "nothing arrived"}


async def test_wrong_status_and_unknown_rows(db: Database, now: datetime) -> None:
    _, (refund, _) = await _settled(db, now)
    with pytest.raises(Conflict, match="obligation is pending"):
        await db.obligations.confirm(refund.id, BUYER, now)
    with pytest.raises(Conflict, match="obligation is pending"):
        await db.obligations.dispute(refund.id, BUYER, now, "no")
    with pytest.raises(NotFound, match="E7"):
        await db.obligations.mark_done(refund.id, SUPPLIER, now, proof_evidence_number=7)
    unchanged = await db.obligations.get(refund.id)
    assert unchanged is not None and unchanged.status == "pending"
    with pytest.raises(NotFound):
        await db.obligations.mark_done(refund.id + 404, SUPPLIER, now)
    await db.obligations.mark_done(refund.id, SUPPLIER, now)
    await db.obligations.confirm(refund.id, BUYER, now)
    with pytest.raises(Conflict, match="obligation is confirmed"):
        await db.obligations.mark_done(refund.id, SUPPLIER, now)


async def test_double_presses_apply_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case_id, (refund, _) = await _settled(db, now)
    for press in (
        lambda w: w.obligations.mark_done(refund.id, SUPPLIER, now),
        lambda w: w.obligations.confirm(refund.id, BUYER, now),
    ):
        results = await asyncio.gather(
            *(press(w) for w in (db, other_worker, db)), return_exceptions=True
        )
        assert len([r for r in results if isinstance(r, Obligation)]) == 1
        assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Obligation))
    kinds = [e.kind for e in await db.history.list(case_id)]
    assert (kinds.count("obligation.done"), kinds.count("obligation.confirmed")) == (1, 1)


async def test_a_press_reads_the_row_with_its_case_in_one_statement(
    db: Database, now: datetime
) -> None:
    """`with_case` (a press on an obligation's or a proposal's buttons) joins the case: each
    row comes back whole, as `get` reads it, with the case as the cases repository reads it."""
    case_id, created = await _settled(db, now)
    case = await db.cases.get(case_id)
    for duty in created:
        assert await db.obligations.with_case(duty.id) == (duty, case)
    [proposal] = await db.proposals.list(case_id)
    assert await db.proposals.with_case(proposal.id) == (proposal, case)
    assert await db.obligations.with_case(99_999) is None
    assert await db.proposals.with_case(99_999) is None
