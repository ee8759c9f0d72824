"""Drafts: the claim form's progress survives restarts and refuses lost updates."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from storage import ConcurrentUpdate, Database, NotFound
from tests.storage.factory import BUYER, draft_case


async def test_save_and_get_round_trip(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    draft = await db.drafts.get(case.id)
    assert draft is not None
    assert (draft.step, draft.answers, draft.back_stack, draft.version) == (
        "order_number",
        {},
        [],
        1,
    )
    saved = await db.drafts.save(
        case.id,
        "amount",
        {"order_number": "PO-9", "note": "包装破损"},
        ["order_number", "order_date"],
        now + timedelta(minutes=1),
        expected_version=1,
    )
    assert saved.version == 2
    assert saved.user_id == BUYER
    assert await db.drafts.get(case.id) == saved


async def test_stale_version_is_refused(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    await db.drafts.save(case.id, "order_date", {"a": 1}, ["order_number"], now, expected_version=1)
    with pytest.raises(ConcurrentUpdate):
        await db.drafts.save(case.id, "other", {"b": 2}, [], now, expected_version=1)
    draft = await db.drafts.get(case.id)
    assert draft is not None and draft.answers == {"a": 1}


async def test_save_without_version_always_wins(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    await db.drafts.save(case.id, "x", {}, [], now)
    saved = await db.drafts.save(case.id, "y", {}, [], now)
    assert (saved.step, saved.version) == ("y", 3)


async def test_delete_then_save_is_not_found(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    await db.drafts.delete(case.id)
    await db.drafts.delete(case.id)
    assert await db.drafts.get(case.id) is None
    with pytest.raises(NotFound):
        await db.drafts.save(case.id, "x", {}, [], now)
    with pytest.raises(NotFound):
        await db.drafts.save(case.id, "x", {}, [], now, expected_version=1)
