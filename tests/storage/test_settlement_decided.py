"""A mediator's decision replaces the settlement: the settlement's obligations still open are
cancelled with the decision, in its transaction; the confirmed ones stay confirmed; and the
case then closes as fulfilled on the decision's obligations alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from flows.rules import proposals as rules
from flows.rules.lifecycle import Action, CaseState, ClosingReason, DeadlineKind, Role
from storage import Database, Decision, Move, NewObligation, Obligation, OutboxMessage
from tests.storage.factory import (
    BUYER,
    MEDIATOR,
    SUPPLIER,
    closed_fulfilled_at_once,
    deadline,
    negotiation_case,
)

H = timedelta(hours=1)


async def _disputed_settlement(db: Database, now: datetime) -> tuple[int, list[Obligation]]:
    """Settled on a refund (O1) and a discount (O2); O2 done and confirmed, O1 done and then
    disputed, so the case went to a mediator, who took it to arbitration."""
    case = await negotiation_case(db, now)
    terms = rules.Proposal(
        (rules.PartialRefund(amount=Decimal("300")), rules.Discount(Decimal("5")))
    )
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, terms.to_dict(), now)
    _, _, (refund, discount) = await db.proposals.accept(
        proposal.id,
        SUPPLIER,
        Role.SUPPLIER,
        now,
        action=Action.ACCEPT_PROPOSAL,
        new_deadline=deadline(DeadlineKind.FULFILMENT, now),
        obligations=[
            NewObligation.from_rule(o, "USD")
            for o in rules.obligations(terms, Decimal("1200.00"), "USD", now, 7)
        ],
    )
    await db.obligations.mark_done(discount.id, SUPPLIER, now)
    await db.obligations.confirm(discount.id, BUYER, now)
    await db.obligations.mark_done(refund.id, SUPPLIER, now)
    settled = await db.cases.get(case.id)
    assert settled is not None and settled.state is CaseState.SETTLED
    to_mediation = Move(
        Action.DISPUTE_FULFILMENT,
        BUYER,
        Role.BUYER,
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now),
        expected_version=settled.version,
    )
    await db.obligations.dispute(refund.id, BUYER, now + H, "nothing arrived", move=to_mediation)
    await db.cases.transition(case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now + H)
    await db.cases.transition(case.id, Action.TO_ARBITRATION, MEDIATOR, Role.MEDIATOR, now + H)
    return case.id, [refund, discount]


def _decide(at: datetime) -> Move:
    return Move(
        Action.DECIDE, MEDIATOR, Role.MEDIATOR, new_deadline=deadline(DeadlineKind.FULFILMENT, at)
    )


def _close() -> Move:
    return Move(Action.CLOSE_FULFILLED, MEDIATOR, Role.MEDIATOR)


def _refund(at: datetime) -> tuple[dict[str, object], list[NewObligation]]:
    terms = rules.Proposal((rules.PartialRefund(amount=Decimal("200")),))
    duties = rules.obligations(terms, Decimal("1200.00"), "USD", at, 7)
    return terms.to_dict(), [NewObligation.from_rule(o, "USD") for o in duties]


async def _statuses(db: Database, case_id: int) -> list[tuple[int, str]]:
    return [(o.number, o.status) for o in await db.obligations.list(case_id)]


async def test_a_decision_cancels_the_settlements_open_obligations_in_its_transaction(
    db: Database, now: datetime
) -> None:
    case_id, _ = await _disputed_settlement(db, now)
    at = now + 2 * H
    terms, duties = _refund(at)
    told: list[list[int]] = []

    def failing(
        made: Decision, created: list[Obligation], settled: list[int]
    ) -> list[OutboxMessage]:
        raise RuntimeError("news could not be rendered")

    with pytest.raises(RuntimeError):
        await db.decisions.issue(
            case_id, MEDIATOR, at, terms=terms, reasons="E1", cited=[], no_evidence=True,
            move=_decide(at), new_obligations=duties, news=failing,
        )  # fmt: skip
    # Nothing of it was written: O1 is still disputed, O2 still confirmed.
    assert await _statuses(db, case_id) == [(1, "disputed"), (2, "confirmed")]

    def news(made: Decision, created: list[Obligation], settled: list[int]) -> list[OutboxMessage]:
        told.append(settled)
        return [OutboxMessage(BUYER, "decided", f"case:{case_id}:decision:{made.number}", case_id)]

    made, [duty] = await db.decisions.issue(
        case_id, MEDIATOR, at, terms=terms, reasons="E1", cited=[], no_evidence=True,
        move=_decide(at), new_obligations=duties, news=news, close=_close(),
    )  # fmt: skip
    assert told == [[1]]
    assert duty.number == 3 and duty.decision_id == made.id
    assert await _statuses(db, case_id) == [(1, "cancelled"), (2, "confirmed"), (3, "pending")]
    events = await db.history.list(case_id)
    [cancelled] = [e for e in events if e.kind == "obligation.cancelled"]
    assert cancelled.payload == {"number": 1, "settlement": True}
    assert (cancelled.actor_id, cancelled.actor_role, cancelled.created_at) == (
        MEDIATOR,
        Role.MEDIATOR,
        at,
    )
    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.DECIDED  # D1's O3 is still to do

    # The decision's obligation done and confirmed: the case closes as fulfilled.
    await db.obligations.mark_done(duty.id, SUPPLIER, at + H)
    confirm = Move(Action.CONFIRM_FULFILMENT, BUYER, Role.BUYER)
    await db.obligations.confirm(duty.id, BUYER, at + 2 * H, close=confirm)
    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.CLOSED
    assert case.closed_reason is ClosingReason.FULFILLED
    assert await db.deadlines.pending_for_case(case_id) == []
    assert (await db.history.verify(case_id)).ok


async def test_a_decision_stating_nothing_over_a_disputed_settlement_closes_it_fulfilled(
    db: Database, now: datetime
) -> None:
    case_id, _ = await _disputed_settlement(db, now)
    at = now + 2 * H
    terms, _ = _refund(at)
    await db.decisions.issue(
        case_id, MEDIATOR, at, terms=terms, reasons="O1 was paid", cited=[], no_evidence=True,
        move=_decide(at), new_obligations=[], close=_close(),
    )  # fmt: skip
    assert await _statuses(db, case_id) == [(1, "cancelled"), (2, "confirmed")]
    await closed_fulfilled_at_once(db, case_id)


async def test_a_replacement_leaves_the_settlements_confirmed_obligations_alone(
    db: Database, now: datetime
) -> None:
    """D1 cancelled O1; D2 (a reconsideration) cancels D1's open O3 and touches neither the
    settlement's confirmed O2 nor its cancelled O1 again."""
    case_id, _ = await _disputed_settlement(db, now)
    at = now + 2 * H
    terms, duties = _refund(at)
    await db.decisions.issue(
        case_id, MEDIATOR, at, terms=terms, reasons="E1", cited=[], no_evidence=True,
        move=_decide(at), new_obligations=duties,
    )  # fmt: skip
    later = at + H
    await db.cases.transition(case_id, Action.RECONSIDER, BUYER, Role.BUYER, later)
    await db.cases.transition(case_id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, later)
    told: list[list[int]] = []

    def news(made: Decision, created: list[Obligation], settled: list[int]) -> list[OutboxMessage]:
        told.append(settled)
        return []

    await db.decisions.issue(
        case_id, MEDIATOR, later, terms=terms, reasons="E2", cited=[], no_evidence=True,
        move=_decide(later), new_obligations=duties, news=news,
    )  # fmt: skip
    assert told == [[]]
    assert await _statuses(db, case_id) == [
        (1, "cancelled"),
        (2, "confirmed"),
        (3, "cancelled"),
        (4, "pending"),
    ]
    cancelled = [
        e.payload for e in await db.history.list(case_id) if e.kind == "obligation.cancelled"
    ]
    assert cancelled == [{"number": 1, "settlement": True}, {"number": 3, "decision": 1}]
