"""Decisions: issued whole (decision, transition, obligations, history) or not at all, once;
a reconsideration's decision replaces the one in force and cancels its open obligations."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from flows.rules import proposals as rules
from flows.rules.lifecycle import (
    Action,
    CaseState,
    ClosingReason,
    DeadlineKind,
    IllegalTransition,
    Role,
)
from storage import Database, Move, NewObligation
from tests.storage.factory import (
    BUYER,
    MEDIATOR,
    STRANGER,
    SUPPLIER,
    closed_fulfilled_at_once,
    deadline,
    negotiation_case,
)

H = timedelta(hours=1)
OTHER_MEDIATOR = STRANGER  # a second member of the pool


async def _in_arbitration(db: Database, now: datetime) -> int:
    case = await negotiation_case(db, now)
    await db.cases.transition(case.id, Action.ESCALATE, None, Role.SYSTEM, now)
    await db.cases.transition(case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now)
    await db.cases.transition(case.id, Action.TO_ARBITRATION, MEDIATOR, Role.MEDIATOR, now)
    return case.id


def _refund(amount: str, now: datetime) -> tuple[dict[str, object], list[NewObligation]]:
    terms = rules.Proposal((rules.PartialRefund(amount=Decimal(amount)),))
    duties = rules.obligations(terms, Decimal("1200.00"), "USD", now, 7)
    return terms.to_dict(), [NewObligation.from_rule(o, "USD") for o in duties]


def _decide(mediator: int, now: datetime) -> Move:
    return Move(
        Action.DECIDE,
        mediator,
        Role.MEDIATOR,
        new_deadline=deadline(DeadlineKind.FULFILMENT, now),
    )


async def test_a_decision_is_issued_once_with_its_obligations(db: Database, now: datetime) -> None:
    case_id = await _in_arbitration(db, now)
    terms, duties = _refund("300", now)
    made, created = await db.decisions.issue(
        case_id,
        MEDIATOR,
        now + H,
        terms=terms,
        reasons="E1 shows it",
        cited=[1],
        no_evidence=False,
        move=_decide(MEDIATOR, now + H),
        new_obligations=duties,
    )
    assert (made.number, made.status, made.outcome) == (1, "in_force", "terms")
    assert [o.decision_id for o in created] == [made.id]
    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.DECIDED and case.decided_at == now + H
    # A second issue (a double press): refused by the lifecycle, nothing written.
    with pytest.raises(IllegalTransition):
        await db.decisions.issue(
            case_id,
            MEDIATOR,
            now + 2 * H,
            terms=terms,
            reasons="again",
            cited=[],
            no_evidence=True,
            move=_decide(MEDIATOR, now + 2 * H),
            new_obligations=duties,
        )
    assert len(await db.decisions.list(case_id)) == 1
    assert len(await db.obligations.list(case_id)) == 1
    kinds = [e.kind for e in await db.history.list(case_id)]
    assert kinds.count("decision.issued") == 1


async def test_only_the_cases_mediator_decides_and_reasons_are_required(
    db: Database, now: datetime
) -> None:
    case_id = await _in_arbitration(db, now)
    terms, duties = _refund("300", now)
    with pytest.raises(IllegalTransition, match="not this case's mediator"):
        await db.decisions.issue(
            case_id,
            OTHER_MEDIATOR,
            now,
            terms=terms,
            reasons="E1",
            cited=[1],
            no_evidence=False,
            move=_decide(OTHER_MEDIATOR, now),
            new_obligations=duties,
        )
    with pytest.raises(ValueError, match="reasons"):
        await db.decisions.issue(
            case_id,
            MEDIATOR,
            now,
            terms=terms,
            reasons="  ",
            cited=[],
            no_evidence=True,
            move=_decide(MEDIATOR, now),
            new_obligations=duties,
        )
    assert await db.decisions.list(case_id) == []
    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.ARBITRATION


async def test_a_dismissal_closes_the_case_as_dismissed(db: Database, now: datetime) -> None:
    case_id = await _in_arbitration(db, now)
    move = Move(Action.DISMISS, MEDIATOR, Role.MEDIATOR)
    made, created = await db.decisions.issue(
        case_id,
        MEDIATOR,
        now,
        terms=None,
        reasons="out of time",
        cited=[],
        no_evidence=True,
        move=move,
    )
    assert made.outcome == "dismissal" and created == []
    case = await db.cases.get(case_id)
    assert case is not None and case.closed_reason is ClosingReason.DISMISSED
    assert case.decided_at == now  # a dismissal can be reconsidered too


async def test_a_reconsiderations_decision_replaces_the_one_in_force(
    db: Database, now: datetime
) -> None:
    case_id = await _in_arbitration(db, now)
    terms, duties = _refund("300", now)
    first, _ = await db.decisions.issue(
        case_id,
        MEDIATOR,
        now,
        terms=terms,
        reasons="E1",
        cited=[1],
        no_evidence=False,
        move=_decide(MEDIATOR, now),
        new_obligations=duties,
    )
    later = now + 5 * H
    await db.cases.transition(
        case_id,
        Action.RECONSIDER,
        SUPPLIER,
        Role.SUPPLIER,
        later,
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, later),
    )
    await db.cases.transition(
        case_id,
        Action.ASSIGN_MEDIATOR,
        OTHER_MEDIATOR,
        Role.MEDIATOR,
        later,
        new_deadline=deadline(DeadlineKind.ARBITRATION_DECISION, later),
    )
    terms2, duties2 = _refund("500", later)
    second, created = await db.decisions.issue(
        case_id,
        OTHER_MEDIATOR,
        later,
        terms=terms2,
        reasons="E2 outweighs E1",
        cited=[2, 1],
        no_evidence=False,
        move=_decide(OTHER_MEDIATOR, later),
        new_obligations=duties2,
    )
    assert second.replaces == first.id and second.number == 2
    assert [d.status for d in await db.decisions.list(case_id)] == ["replaced", "in_force"]
    duties_now = await db.obligations.list(case_id)
    assert [(o.number, o.status) for o in duties_now] == [(1, "cancelled"), (2, "pending")]
    # The cancelled one is owed by nobody: confirming the new one alone closes the case.
    [new] = created
    await db.obligations.mark_done(new.id, SUPPLIER, later)
    close = Move(Action.CONFIRM_FULFILMENT, BUYER, Role.BUYER)
    await db.obligations.confirm(new.id, BUYER, later, close=close)
    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.CLOSED
    # A second reconsideration is refused: once per case.
    with pytest.raises(IllegalTransition, match="already reconsidered"):
        await db.cases.transition(case_id, Action.RECONSIDER, BUYER, Role.BUYER, later)
    assert (await db.history.verify(case_id)).ok


async def test_a_reconsideration_may_confirm_the_decision_in_force(
    db: Database, now: datetime
) -> None:
    case_id = await _in_arbitration(db, now)
    terms, duties = _refund("300", now)
    first, _ = await db.decisions.issue(
        case_id,
        MEDIATOR,
        now,
        terms=terms,
        reasons="E1",
        cited=[1],
        no_evidence=False,
        move=_decide(MEDIATOR, now),
        new_obligations=duties,
    )
    later = now + 5 * H
    await db.cases.transition(case_id, Action.RECONSIDER, BUYER, Role.BUYER, later)
    await db.cases.transition(case_id, Action.ASSIGN_MEDIATOR, OTHER_MEDIATOR, Role.MEDIATOR, later)
    kept = await db.decisions.confirm(
        case_id,
        OTHER_MEDIATOR,
        later,
        reasons="E1 still decides it",
        cited=[1],
        no_evidence=False,
        move=_decide(OTHER_MEDIATOR, later),
    )
    assert kept.id == first.id
    assert [d.status for d in await db.decisions.list(case_id)] == ["in_force"]
    assert [o.status for o in await db.obligations.list(case_id)] == ["pending"]
    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.DECIDED
    events = [e for e in await db.history.list(case_id) if e.kind == "decision.confirmed"]
    assert [e.payload["reasons"] for e in events] == ["E1 still decides it"]


def _close(mediator: int) -> Move:
    return Move(Action.CLOSE_FULFILLED, mediator, Role.MEDIATOR)


async def _fulfilled_then_reconsidered(db: Database, now: datetime) -> tuple[int, datetime]:
    """D1's only obligation done and confirmed (the case closes as fulfilled), then
    reconsidered and taken by another mediator."""
    case_id = await _in_arbitration(db, now)
    terms, duties = _refund("300", now)
    _, [duty] = await db.decisions.issue(
        case_id,
        MEDIATOR,
        now,
        terms=terms,
        reasons="E1",
        cited=[1],
        no_evidence=False,
        move=_decide(MEDIATOR, now),
        new_obligations=duties,
        close=_close(MEDIATOR),  # D1's obligation is pending: nothing closes
    )
    assert (await db.cases.get(case_id)).state is CaseState.DECIDED  # type: ignore[union-attr]
    await db.obligations.mark_done(duty.id, SUPPLIER, now + H)
    close = Move(Action.CONFIRM_FULFILMENT, BUYER, Role.BUYER)
    await db.obligations.confirm(duty.id, BUYER, now + 2 * H, close=close)
    later = now + 5 * H
    await db.cases.transition(case_id, Action.RECONSIDER, BUYER, Role.BUYER, later)
    await db.cases.transition(case_id, Action.ASSIGN_MEDIATOR, OTHER_MEDIATOR, Role.MEDIATOR, later)
    return case_id, later


async def test_confirming_a_fulfilled_decision_closes_the_case_as_fulfilled_at_once(
    db: Database, now: datetime
) -> None:
    case_id, later = await _fulfilled_then_reconsidered(db, now)
    await db.decisions.confirm(
        case_id,
        OTHER_MEDIATOR,
        later,
        reasons="E1 still decides it",
        cited=[1],
        no_evidence=False,
        move=_decide(OTHER_MEDIATOR, later),
        close=_close(OTHER_MEDIATOR),
    )
    await closed_fulfilled_at_once(db, case_id)


async def test_a_replacement_leaving_nothing_open_closes_the_case_as_fulfilled(
    db: Database, now: datetime
) -> None:
    case_id, later = await _fulfilled_then_reconsidered(db, now)
    second, created = await db.decisions.issue(
        case_id,
        OTHER_MEDIATOR,
        later,
        terms={"terms": []},
        reasons="O1 was paid; nothing more is owed",
        cited=[1],
        no_evidence=False,
        move=_decide(OTHER_MEDIATOR, later),
        close=_close(OTHER_MEDIATOR),
    )
    assert second.number == 2 and created == []
    # D1's confirmed obligation stays confirmed: it was done, nothing cancels it.
    assert [o.status for o in await db.obligations.list(case_id)] == ["confirmed"]
    await closed_fulfilled_at_once(db, case_id)
