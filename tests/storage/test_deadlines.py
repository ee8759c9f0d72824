"""Deadlines: due rows fire once, reminders go out once per moment, the scheduler's wake-up."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import DeadlineKind
from storage import Database, NewDeadline, NotFound
from tests.storage.factory import draft_case, submitted_case

H = timedelta(hours=1)


async def _case_with_deadline(
    db: Database, now: datetime, due: timedelta, reminders: list[timedelta]
) -> int:
    case = await draft_case(db, now)
    await db.deadlines.cancel_for_case(case.id, now)
    new = NewDeadline(DeadlineKind.MEDIATION, now, now + due, [now + r for r in reminders])
    return (await db.deadlines.add(case.id, new, now)).id


async def test_pending_next_and_cancel(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    extra = NewDeadline(DeadlineKind.MEDIATION, now, now + 2 * H, [])
    added = await db.deadlines.add(case.id, extra, now)
    pending = await db.deadlines.pending_for_case(case.id)
    assert [d.kind for d in pending] == [DeadlineKind.MEDIATION, DeadlineKind.SUPPLIER_RESPONSE]
    assert await db.deadlines.next_for_case(case.id) == added
    assert added.next_reminder_at is None and added.reminder_times == []

    cancelled = await db.deadlines.cancel_for_case(case.id, now + H)
    assert {d.status for d in cancelled} == {"cancelled"}
    assert all(d.closed_at == now + H and d.next_reminder_at is None for d in cancelled)
    assert await db.deadlines.pending_for_case(case.id) == []
    assert await db.deadlines.next_for_case(case.id) is None


async def test_close_one(db: Database, now: datetime) -> None:
    deadline_id = await _case_with_deadline(db, now, 10 * H, [5 * H])
    closed = await db.deadlines.close(deadline_id, "met", now + H)
    assert (closed.status, closed.closed_at) == ("met", now + H)
    with pytest.raises(NotFound):
        await db.deadlines.close(deadline_id, "met", now + H)
    with pytest.raises(ValueError, match="close"):
        await db.deadlines.close(deadline_id, "pending", now)


async def test_claim_due_fires_each_deadline_once(db: Database, now: datetime) -> None:
    early = await _case_with_deadline(db, now, 1 * H, [])
    late = await _case_with_deadline(db, now, 3 * H, [])
    assert await db.deadlines.claim_due(now) == []

    fired = await db.deadlines.claim_due(now + 2 * H)
    assert [d.id for d in fired] == [early]
    assert (fired[0].status, fired[0].closed_at) == ("fired", now + 2 * H)
    assert await db.deadlines.claim_due(now + 2 * H) == []

    both = await db.deadlines.claim_due(now + 5 * H)
    assert [d.id for d in both] == [late]


async def test_claim_due_respects_limit(db: Database, now: datetime) -> None:
    ids = [await _case_with_deadline(db, now, (n + 1) * H, []) for n in range(3)]
    first = await db.deadlines.claim_due(now + 10 * H, limit=2)
    rest = await db.deadlines.claim_due(now + 10 * H, limit=2)
    assert [d.id for d in first] == ids[:2] and [d.id for d in rest] == ids[2:]


async def test_reminders_go_out_once_per_moment(db: Database, now: datetime) -> None:
    deadline_id = await _case_with_deadline(db, now, 72 * H, [36 * H, 48 * H])
    assert await db.deadlines.claim_reminders_due(now + 35 * H) == []

    [first] = await db.deadlines.claim_reminders_due(now + 36 * H)
    assert (first.id, first.next_reminder_at, first.reminders_sent) == (
        deadline_id,
        now + 36 * H,
        0,
    )
    assert await db.deadlines.claim_reminders_due(now + 40 * H) == []
    after_first = await db.deadlines.get(deadline_id)
    assert after_first is not None
    assert (after_first.next_reminder_at, after_first.reminders_sent) == (now + 48 * H, 1)

    [second] = await db.deadlines.claim_reminders_due(now + 49 * H)
    assert second.next_reminder_at == now + 48 * H
    assert await db.deadlines.claim_reminders_due(now + 71 * H) == []
    done = await db.deadlines.get(deadline_id)
    assert done is not None and (done.next_reminder_at, done.reminders_sent) == (None, 2)


async def test_missed_reminder_moments_fold_into_one(db: Database, now: datetime) -> None:
    deadline_id = await _case_with_deadline(db, now, 72 * H, [24 * H, 36 * H, 48 * H])
    [claimed] = await db.deadlines.claim_reminders_due(now + 40 * H)  # 24h and 36h missed
    assert claimed.next_reminder_at == now + 24 * H
    after = await db.deadlines.get(deadline_id)
    assert after is not None
    assert (after.next_reminder_at, after.reminders_sent) == (now + 48 * H, 1)


async def test_no_reminder_for_a_deadline_already_due(db: Database, now: datetime) -> None:
    await _case_with_deadline(db, now, 10 * H, [5 * H])
    assert await db.deadlines.claim_reminders_due(now + 11 * H) == []
    [fired] = await db.deadlines.claim_due(now + 11 * H)
    assert fired.next_reminder_at is None


async def test_next_wakeup(db: Database, now: datetime) -> None:
    assert await db.deadlines.next_wakeup() is None
    await _case_with_deadline(db, now, 10 * H, [4 * H])
    await _case_with_deadline(db, now, 6 * H, [])
    assert await db.deadlines.next_wakeup() == now + 4 * H
    await db.deadlines.claim_reminders_due(now + 4 * H)
    assert await db.deadlines.next_wakeup() == now + 6 * H
    await db.deadlines.claim_due(now + 6 * H)
    assert await db.deadlines.next_wakeup() == now + 10 * H


async def test_several_workers_fire_each_deadline_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    ids = {await _case_with_deadline(db, now, H, [H / 2]) for _ in range(12)}
    workers = [db, other_worker] * 3

    reminded = await asyncio.gather(
        *(w.deadlines.claim_reminders_due(now + 0.75 * H, limit=5) for w in workers)
    )
    reminded_ids = [d.id for batch in reminded for d in batch]
    assert sorted(reminded_ids) == sorted(ids)

    fired = await asyncio.gather(*(w.deadlines.claim_due(now + 2 * H, limit=5) for w in workers))
    fired_ids = [d.id for batch in fired for d in batch]
    assert sorted(fired_ids) == sorted(ids)
