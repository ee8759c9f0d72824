"""Several workers on one database at once: each outbox row is claimed by exactly one of them,
and a due deadline's outcome is applied by exactly one of several sweeps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import Action, CaseState
from storage import Case, ConcurrentUpdate, Database, OutboxMessage
from tests.storage.factory import submitted_case

LEASE = timedelta(seconds=60)
WORKERS = 4


@pytest.fixture
async def workers(db: Database, db_url: str) -> AsyncIterator[list[Database]]:
    """`WORKERS` databases with engines of their own (processes), `db` the first."""
    others = [await Database.connect(db_url, migrate=False) for _ in range(WORKERS - 1)]
    try:
        yield [db, *others]
    finally:
        for other in others:
            await other.dispose()


async def test_every_outbox_row_is_claimed_by_exactly_one_worker(
    workers: list[Database], now: datetime
) -> None:
    db = workers[0]
    # 60 chats, three rows each: a chat's rows go one at a time, whoever claims them.
    await db.outbox.add(
        [OutboxMessage(1000 + n % 60, f"news {n}", f"k{n}") for n in range(180)], now
    )
    claimed: list[int] = []

    async def work(worker: Database) -> None:
        while rows := await worker.outbox.claim(now, LEASE, limit=7):
            for row in rows:
                claimed.append(row.id)
                await worker.outbox.mark_sent(row.id, row.id, row.chat_id, now)

    await asyncio.gather(*(work(w) for w in workers))
    assert len(claimed) == 180 and len(set(claimed)) == 180
    assert await db.outbox.open_count() == 0


async def test_every_worker_sweeps_at_once_and_one_applies_the_outcome(
    workers: list[Database], now: datetime
) -> None:
    case = await submitted_case(workers[0], now)
    [due] = await workers[0].deadlines.pending_for_case(case.id)
    later = due.due_at + timedelta(minutes=1)
    results = await asyncio.gather(
        *(
            w.sweep.fire(due, later, action=Action.ESCALATE, case_version=case.version)
            for w in workers
        ),
        return_exceptions=True,
    )
    applied = [r for r in results if isinstance(r, Case)]
    assert len(applied) == 1, results
    # The others found it fired (None) or the case moved on (ConcurrentUpdate): nothing else.
    assert all(r is None or isinstance(r, ConcurrentUpdate) for r in results if r not in applied)
    moved = await workers[0].cases.get(case.id)
    assert moved is not None and moved.state is CaseState.MEDIATION
    events = await workers[0].history.list(case.id)
    assert sum(1 for e in events if e.payload.get("action") == "escalate") == 1
