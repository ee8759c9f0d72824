"""Pending inputs: saved per user and chat, compare-and-set on version, cleared per case."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from storage import ConcurrentUpdate, Database, NotFound, PendingInput
from tests.storage.factory import BUYER, SUPPLIER, draft_case, submitted_case

GROUP = -1_001_234_567_890


async def test_put_get_and_replace(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    assert await db.inputs.get(BUYER, GROUP) is None
    first = await db.inputs.put(
        BUYER, GROUP, "evidence_label", case.id, "label", {"file_id": "AgAC", "note": "破损"}, now
    )
    assert first == PendingInput(
        BUYER,
        GROUP,
        "evidence_label",
        case.id,
        "label",
        {"file_id": "AgAC", "note": "破损"},
        1,
        now,
    )
    assert await db.inputs.get(BUYER, GROUP) == first
    assert await db.inputs.get(BUYER, BUYER) is None  # another chat: the private one

    later = now + timedelta(minutes=2)
    replaced = await db.inputs.put(BUYER, GROUP, "proposal", case.id, "terms", {"n": 1}, later)
    assert (replaced.kind, replaced.step, replaced.data, replaced.version) == (
        "proposal",
        "terms",
        {"n": 1},
        2,
    )
    assert replaced.updated_at == later


async def test_compare_and_set_on_version(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    created = await db.inputs.put(
        SUPPLIER, SUPPLIER, "blind_bid", case.id, "amount", {}, now, expected_version=0
    )
    assert created.version == 1
    with pytest.raises(ConcurrentUpdate):  # 0: there must be none yet
        await db.inputs.put(SUPPLIER, SUPPLIER, "blind_bid", case.id, "x", {}, now, 0)
    step = await db.inputs.put(
        SUPPLIER, SUPPLIER, "blind_bid", case.id, "confirm", {"a": 1}, now, expected_version=1
    )
    assert step.version == 2
    with pytest.raises(ConcurrentUpdate):
        await db.inputs.put(SUPPLIER, SUPPLIER, "blind_bid", case.id, "stale", {}, now, 1)
    assert await db.inputs.get(SUPPLIER, SUPPLIER) == step

    await db.inputs.clear(SUPPLIER, SUPPLIER)
    with pytest.raises(ConcurrentUpdate):  # cleared meanwhile
        await db.inputs.put(SUPPLIER, SUPPLIER, "blind_bid", case.id, "x", {}, now, 2)


async def test_double_press_applies_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    base = await db.inputs.put(BUYER, BUYER, "proposal", case.id, "kind", {}, now)
    results = await asyncio.gather(
        *(
            worker.inputs.put(
                BUYER, BUYER, "proposal", case.id, "amount", {"by": n}, now, base.version
            )
            for n, worker in enumerate([db, other_worker, db])
        ),
        return_exceptions=True,
    )
    saved = [r for r in results if isinstance(r, PendingInput)]
    assert len(saved) == 1
    assert all(isinstance(r, ConcurrentUpdate) for r in results if r not in saved)
    assert await db.inputs.get(BUYER, BUYER) == saved[0]


async def test_clear_and_clear_for_case(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    other = await draft_case(db, now)
    await db.inputs.put(BUYER, GROUP, "evidence_label", case.id, "label", {}, now)
    await db.inputs.put(SUPPLIER, GROUP, "evidence_label", case.id, "label", {}, now)
    await db.inputs.put(BUYER, BUYER, "proposal", other.id, "kind", {}, now)
    await db.inputs.clear(BUYER, GROUP)
    await db.inputs.clear(BUYER, GROUP)  # nothing there: no error
    assert await db.inputs.get(BUYER, GROUP) is None
    assert await db.inputs.clear_for_case(case.id) == 1
    assert await db.inputs.get(SUPPLIER, GROUP) is None
    kept = await db.inputs.get(BUYER, BUYER)
    assert kept is not None and kept.case_id == other.id


async def test_unknown_case_and_bad_data(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    with pytest.raises(NotFound):
        await db.inputs.put(BUYER, BUYER, "proposal", case.id + 404, "kind", {}, now)
    with pytest.raises(TypeError):
        await db.inputs.put(BUYER, BUYER, "proposal", case.id, "kind", {"s": {1}}, now)
    assert await db.inputs.get(BUYER, BUYER) is None
