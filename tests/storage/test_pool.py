"""The mediators' pool in storage: first Take wins also against a stale read, only the case's
own mediator hands it back, a party never takes its own case, and a case handed back is owed
a new post in the staff chat (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import Action, DeadlineKind, Role
from storage import Case, ConcurrentUpdate, Database, IllegalTransition
from tests.storage.factory import MEDIATOR, SUPPLIER, deadline, submitted_case

OTHER = MEDIATOR + 1


async def _in_mediation(db: Database, now: datetime) -> Case:
    case = await submitted_case(db, now)
    await db.users.upsert(MEDIATOR, "Li", None, "zh-hans", now)
    await db.users.upsert(OTHER, "Maria", None, "en", now)
    return await db.cases.transition(
        case.id, Action.REQUEST_MEDIATION, SUPPLIER, Role.SUPPLIER, now,
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now),
    )  # fmt: skip


async def _take(db: Database, case_id: int, who: int, now: datetime) -> Case:
    return await db.cases.transition(
        case_id, Action.ASSIGN_MEDIATOR, who, Role.MEDIATOR, now,
        new_deadline=deadline(DeadlineKind.MEDIATION, now),
    )  # fmt: skip


async def test_two_takes_at_once_without_a_version_one_wins(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await _in_mediation(db, now)
    results = await asyncio.gather(
        _take(db, case.id, MEDIATOR, now), _take(other_worker, case.id, OTHER, now),
        return_exceptions=True,
    )  # fmt: skip
    won = [r for r in results if isinstance(r, Case)]
    lost = [r for r in results if not isinstance(r, Case)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], ConcurrentUpdate | IllegalTransition)
    final = await db.cases.get(case.id)
    assert final is not None and final.mediator_id == won[0].mediator_id


async def test_a_taken_case_is_not_taken_again(db: Database, now: datetime) -> None:
    case = await _in_mediation(db, now)
    await _take(db, case.id, MEDIATOR, now)
    with pytest.raises(IllegalTransition, match="a mediator has the case"):
        await _take(db, case.id, OTHER, now)


async def test_a_party_cannot_take_its_own_case(db: Database, now: datetime) -> None:
    case = await _in_mediation(db, now)
    with pytest.raises(IllegalTransition, match="a party cannot mediate"):
        await _take(db, case.id, SUPPLIER, now)


async def test_only_the_cases_mediator_hands_it_back_and_it_is_owed_a_post(
    db: Database, now: datetime
) -> None:
    case = await _in_mediation(db, now)
    assert [c.id for c in await db.pool.owed()] == [case.id]
    assert await db.pool.record(case, -100123, 7, 42, now)
    assert await db.pool.owed() == []
    assert not await db.pool.record(case, -100123, 7, 43, now)  # another worker's stands
    taken = await _take(db, case.id, MEDIATOR, now)
    later = now + timedelta(hours=1)
    release = deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, later)
    with pytest.raises(IllegalTransition, match="not this case's mediator"):
        await db.cases.transition(
            case.id, Action.RELEASE_MEDIATOR, OTHER, Role.MEDIATOR, later, new_deadline=release
        )
    back = await db.cases.transition(
        case.id, Action.RELEASE_MEDIATOR, MEDIATOR, Role.MEDIATOR, later,
        reason="conflict of interest", new_deadline=release, expected_version=taken.version,
    )  # fmt: skip
    assert back.mediator_id is None
    assert [c.id for c in await db.pool.owed()] == [case.id]
    assert await db.pool.record(back, -100123, 7, 44, later)
    post = await db.pool.post_of(case.id)
    assert post is not None and post.thread_id == 7 and post.message_id == 44
    assert [c.id for c in await db.pool.untaken()] == [case.id]
    assert (await _take(db, case.id, OTHER, later)).mediator_id == OTHER


async def test_two_workers_making_the_cases_topic_keep_one(
    db: Database, other_worker: Database, now: datetime
) -> None:
    """Both made a forum topic for the case before either posted: the first kept stands, and
    the other worker is told so (it removes its own), so the case never has two topics."""
    case = await _in_mediation(db, now)
    kept = await asyncio.gather(
        db.pool.claim_topic(case.id, -100, 11), other_worker.pool.claim_topic(case.id, -100, 12)
    )
    assert kept[0] == kept[1] and kept[0] in (11, 12)
    post = await db.pool.post_of(case.id)
    assert post is not None and post.thread_id == kept[0]
    assert await db.pool.claim_topic(case.id, -100, 13) == kept[0]  # a later one loses too
