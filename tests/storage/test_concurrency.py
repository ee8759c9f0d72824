"""Two transitions of one case at the same moment: exactly one is applied."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from storage import Case, ConcurrentUpdate, Database, IllegalTransition
from tests.storage.factory import BUYER, MEDIATOR, SUPPLIER, deadline, draft_case, submitted_case


def _split(results: Sequence[Case | BaseException]) -> tuple[list[Case], list[BaseException]]:
    won = [r for r in results if isinstance(r, Case)]
    lost = [r for r in results if isinstance(r, BaseException)]
    return won, lost


async def test_same_version_only_one_wins(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    case = await db.cases.transition(
        case.id, Action.REQUEST_MEDIATION, SUPPLIER, Role.SUPPLIER, now,
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now),
    )  # fmt: skip
    # two mediators press "take the case" on the same card; both must exist as users, or the
    # loser could be the one refused by a foreign key rather than by the version check
    await db.users.upsert(MEDIATOR + 1, "Mia", None, "en", now)
    results = await asyncio.gather(
        *(
            worker.cases.transition(
                case.id,
                Action.ASSIGN_MEDIATOR,
                MEDIATOR + n,
                Role.MEDIATOR,
                now + timedelta(minutes=1),
                new_deadline=deadline(DeadlineKind.MEDIATION, now),
                expected_version=case.version,
            )
            for n, worker in enumerate([db, other_worker])
        ),
        return_exceptions=True,
    )
    won, lost = _split(results)
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], ConcurrentUpdate)
    final = await db.cases.get(case.id)
    assert final is not None and final.version == case.version + 1
    assert [d.kind for d in await db.deadlines.pending_for_case(case.id)] == [
        DeadlineKind.MEDIATION
    ]
    assigned = [
        e for e in await db.history.list(case.id) if e.payload.get("action") == "assign_mediator"
    ]
    assert len(assigned) == 1


async def test_conflicting_actions_only_one_applies(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await draft_case(db, now)
    later = now + timedelta(hours=1)
    results = await asyncio.gather(
        db.cases.transition(
            case.id, Action.SUBMIT, BUYER, Role.BUYER, later,
            new_deadline=deadline(DeadlineKind.SUPPLIER_INVITATION, later),
        ),
        other_worker.cases.transition(case.id, Action.ABANDON, BUYER, Role.BUYER, later),
        db.cases.transition(case.id, Action.EXPIRE_DRAFT, None, Role.SYSTEM, later),
        return_exceptions=True,
    )  # fmt: skip
    won, lost = _split(results)
    assert len(won) == 1
    assert len(lost) == 2
    assert all(isinstance(e, ConcurrentUpdate | IllegalTransition) for e in lost)
    final = await db.cases.get(case.id)
    assert final is not None and final.state is won[0].state
    assert final.state in {CaseState.AWAITING_SUPPLIER, CaseState.CLOSED}
    transitions = [e for e in await db.history.list(case.id) if e.kind == "case.transition"]
    assert len(transitions) == 1
    assert (await db.history.verify(case.id)).ok
