"""The mediator's requests for evidence in storage (SQLite and PostgreSQL): only the case's own
mediator asks, numbered R1, R2; the request's deadline outlives the move to arbitration but not
a decision; evidence in time meets it, after the lapse it is marked late, judged once; the
lapse is claimed once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import Action, DeadlineKind, Role
from storage import Case, Conflict, Database, DeadlineStatus
from tests.storage.factory import BUYER, MEDIATOR, SUPPLIER, deadline, submitted_case

OTHER = MEDIATOR + 1


async def _taken(db: Database, now: datetime) -> Case:
    case = await submitted_case(db, now)
    await db.cases.transition(
        case.id, Action.REQUEST_MEDIATION, SUPPLIER, Role.SUPPLIER, now,
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now),
    )  # fmt: skip
    return await db.cases.transition(
        case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now,
        new_deadline=deadline(DeadlineKind.MEDIATION, now),
    )  # fmt: skip


async def _add(db: Database, case_id: int, now: datetime, label: str) -> int:
    item = await db.evidence.add(
        case_id, SUPPLIER, Role.SUPPLIER, "statement", label, "delivery", now, text=label
    )
    return item.number


async def test_requests_numbered_kept_into_arbitration_met_and_late(
    db: Database, now: datetime
) -> None:
    case = await _taken(db, now)
    ask = deadline(DeadlineKind.EVIDENCE_REQUEST, now)
    with pytest.raises(Conflict):
        await db.evidence_requests.create(
            case.id, OTHER, Role.SUPPLIER, "photos", ask, now, lambda r: []
        )
    first = await db.evidence_requests.create(
        case.id, MEDIATOR, Role.SUPPLIER, "photos", ask, now, lambda r: []
    )
    second = await db.evidence_requests.create(
        case.id, MEDIATOR, Role.SUPPLIER, "report", ask, now, lambda r: []
    )
    assert (first.number, second.number) == (1, 2)
    # The final statements round keeps the requests' deadlines; /cases still shows the case's.
    await db.cases.transition(
        case.id, Action.TO_ARBITRATION, MEDIATOR, Role.MEDIATOR, now,
        new_deadline=deadline(DeadlineKind.ARBITRATION_STATEMENTS, now),
    )  # fmt: skip
    kinds = [d.kind for d in await db.deadlines.pending_for_case(case.id)]
    assert kinds.count(DeadlineKind.EVIDENCE_REQUEST) == 2
    shown = await db.deadlines.next_for_case(case.id)
    assert shown is not None and shown.kind is DeadlineKind.ARBITRATION_STATEMENTS
    # The buyer's evidence answers nothing of the supplier's.
    buyer_item = await db.evidence.add(
        case.id, BUYER, Role.BUYER, "statement", "x", "other", now, text="x"
    )
    requests = db.evidence_requests
    assert await requests.answer(case.id, Role.BUYER, buyer_item.number, now, lambda a: []) is None
    # In time: both open requests are met, their deadlines closed as met.
    number = await _add(db, case.id, now, "photos")
    answered = await db.evidence_requests.answer(case.id, Role.SUPPLIER, number, now, lambda a: [])
    assert answered is not None and [r.number for r in answered.met] == [1, 2]
    closed = [d for d in await db.deadlines.pending_for_case(case.id)]
    assert DeadlineKind.EVIDENCE_REQUEST not in [d.kind for d in closed]


async def test_a_lapsed_request_marks_later_evidence_late_judged_once(
    db: Database, now: datetime
) -> None:
    case = await _taken(db, now)
    ask = deadline(DeadlineKind.EVIDENCE_REQUEST, now)
    request = await db.evidence_requests.create(
        case.id, MEDIATOR, Role.SUPPLIER, "photos", ask, now, lambda r: []
    )
    assert request.deadline_id is not None
    row = await db.deadlines.get(request.deadline_id)
    assert row is not None
    later = ask.due_at + timedelta(minutes=1)
    lapsed = await db.evidence_requests.lapse(row, later, [])
    assert lapsed is not None and lapsed.status == "lapsed"
    assert await db.evidence_requests.lapse(row, later, []) is None  # claimed once
    fired = await db.deadlines.get(request.deadline_id)
    assert fired is not None and fired.status == DeadlineStatus.FIRED
    number = await _add(db, case.id, later, "late photos")
    answered = await db.evidence_requests.answer(
        case.id, Role.SUPPLIER, number, later, lambda a: []
    )
    assert answered is not None and answered.late is not None and answered.late.number == 1
    item = await db.evidence.get(case.id, number)
    assert item is not None and item.lateness == "late"
    assert not await db.evidence_requests.judge_late(case.id, number, "accepted", OTHER, later, [])
    assert await db.evidence_requests.judge_late(case.id, number, "accepted", MEDIATOR, later, [])
    again = await db.evidence_requests.judge_late(case.id, number, "left_out", MEDIATOR, later, [])
    assert not again
    item = await db.evidence.get(case.id, number)
    assert item is not None and item.lateness == "accepted"
    events = [e.kind for e in await db.history.list(case.id)]
    assert events.count("evidence.late_accepted") == 1
    assert "evidence.request_lapsed" in events and "evidence.requested" in events
