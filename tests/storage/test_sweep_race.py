"""A party's change under way when the sweep applies a deadline's outcome wins: the sweep waits
for it (the case is locked first, in the order a party's change takes it), finds the case
moved on and applies nothing; no deadlock fails either side."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from flows.rules.lifecycle import Action, CaseState, DeadlineKind
from storage import ConcurrentUpdate, Database, DeadlineStatus
from storage.tables import cases, deadlines
from tests.storage.factory import submitted_case


async def test_a_party_change_under_way_wins_over_the_outcome(
    db: Database, other_worker: Database, now: datetime, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite runs one write transaction at a time: no change is under way")
    case = await submitted_case(db, now)
    [due] = await db.deadlines.pending_for_case(case.id)
    assert due.kind is DeadlineKind.SUPPLIER_RESPONSE
    later = due.due_at + timedelta(minutes=1)
    # The party's change, as apply_transition makes it: the case, then its deadlines.
    async with db.engine.begin() as party:
        await party.execute(
            update(cases)
            .where(cases.c.id == case.id, cases.c.version == case.version)
            .values(state=CaseState.NEGOTIATION.value, version=cases.c.version + 1)
        )
        sweeping = asyncio.create_task(
            other_worker.sweep.fire(due, later, action=Action.ESCALATE, case_version=case.version)
        )
        await asyncio.sleep(0.5)  # the sweep is now waiting for the case
        assert not sweeping.done()
        await party.execute(
            update(deadlines)
            .where(deadlines.c.case_id == case.id, deadlines.c.status == DeadlineStatus.PENDING)
            .values(status=DeadlineStatus.MET, closed_at=later)
        )
    with pytest.raises(ConcurrentUpdate):
        await asyncio.wait_for(sweeping, timeout=10)
    moved = await db.cases.get(case.id)
    assert moved is not None and moved.state is CaseState.NEGOTIATION
    kept = await db.deadlines.get(due.id)
    assert kept is not None and kept.status == DeadlineStatus.MET
