"""History: hash-chained, append-only by the database's own triggers, tampering detected."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from flows.rules.lifecycle import Role
from storage import GENESIS_HASH, Database, NotFound
from storage.tables import history_events
from tests.storage.factory import BUYER, MEDIATOR, SUPPLIER, draft_case, submitted_case


def _expected_hash(prev: str, body: dict[str, object]) -> str:
    """The chain rule, spelled out independently of storage.hashing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest()


async def test_append_chains_hashes_as_specified(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    later = now + timedelta(minutes=5)
    event = await db.history.append(
        case.id,
        BUYER,
        Role.BUYER,
        "chat.message",
        {"text": "货物有问题", "amount": Decimal("12.50"), "at": later},
        later,
    )
    assert event.seq == 2
    assert event.payload == {"text": "货物有问题", "amount": "12.50", "at": later.isoformat()}
    first, second = await db.history.list(case.id)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    assert second == event
    assert event.hash == _expected_hash(
        first.hash,
        {
            "case_id": case.id,
            "seq": 2,
            "actor_id": BUYER,
            "actor_role": "buyer",
            "kind": "chat.message",
            "payload": event.payload,
            "created_at": later.isoformat(),
        },
    )
    assert await db.history.last(case.id) == event
    result = await db.history.verify(case.id)
    assert (result.ok, result.count, result.first_bad_seq) == (True, 2, None)


async def test_append_to_unknown_case_is_not_found(db: Database, now: datetime) -> None:
    with pytest.raises(NotFound):
        await db.history.append(404, None, Role.SYSTEM, "x", {}, now)


async def test_empty_history_verifies(db: Database) -> None:
    result = await db.history.verify(404)
    assert (result.ok, result.count) == (True, 0)
    assert await db.history.last(404) is None


async def test_concurrent_appends_keep_one_unbroken_chain(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    before = len(await db.history.list(case.id))
    await asyncio.gather(
        *(
            worker.history.append(case.id, actor, role, "chat.message", {"n": n}, now)
            for n, (worker, actor, role) in enumerate(
                [(db, BUYER, Role.BUYER), (other_worker, SUPPLIER, Role.SUPPLIER)] * 6
            )
        )
    )
    events = await db.history.list(case.id)
    assert [e.seq for e in events] == list(range(1, before + 13))
    assert sorted(e.payload["n"] for e in events[before:]) == list(range(12))
    assert (await db.history.verify(case.id)).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE history_events SET kind = 'forged'",
        "DELETE FROM history_events",
    ],
)
async def test_database_refuses_update_and_delete(
    db: Database, now: datetime, statement: str
) -> None:
    case = await draft_case(db, now)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as conn:
            await conn.execute(text(statement))
    [event] = await db.history.list(case.id)
    assert event.kind == "case.created"
    assert (await db.history.verify(case.id)).ok


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_truncate_is_refused_on_postgresql(db: Database, now: datetime) -> None:
    await draft_case(db, now)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as conn:
            await conn.execute(text("TRUNCATE history_events CASCADE"))


async def test_verify_finds_the_tampered_event(private_db_url: str, now: datetime) -> None:
    db = await Database.connect(private_db_url)
    try:
        case = await submitted_case(db, now)
        for n in range(3):
            await db.history.append(case.id, MEDIATOR, Role.MEDIATOR, "note", {"n": n}, now)
        events = await db.history.list(case.id)
        target = events[2]
        drops = (
            ["DROP TRIGGER history_events_no_update_delete ON history_events"]
            if db.dialect == "postgresql"
            else ["DROP TRIGGER history_events_no_update", "DROP TRIGGER history_events_no_delete"]
        )
        async with db.engine.begin() as conn:
            for drop in drops:
                await conn.execute(text(drop))
            await conn.execute(
                update(history_events)
                .where(history_events.c.id == target.id)
                .values(payload={**target.payload, "reason": "edited later"})
            )
        result = await db.history.verify(case.id)
        assert (result.ok, result.count, result.first_bad_seq) == (False, len(events), target.seq)

        # deleting an event in the middle breaks the chain at that place too
        async with db.engine.begin() as conn:
            await conn.execute(history_events.delete().where(history_events.c.id == events[1].id))
        assert (await db.history.verify(case.id)).first_bad_seq == events[1].seq
    finally:
        await db.dispose()
