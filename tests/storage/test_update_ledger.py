"""The update ledger: an update's first write records it, in the same transaction; a second
copy of the update finds the record, and its write is rolled back with it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from storage import Database, HandledUpdate, NotFound, UpdateAlreadyHandled, handling

BOT = 123456


async def test_the_first_write_of_an_update_records_it(db: Database, now: datetime) -> None:
    await db.users.upsert(1, "Ann", None, "en", now)
    entry = HandledUpdate(BOT, 77, now)
    with handling(entry):
        await db.users.set_language(1, "zh_Hans", now)
        await db.users.set_timezone(1, "Asia/Shanghai", now)  # same update: one record
    assert entry.recorded and entry.commits == 2
    assert await db.updates.handled(BOT, 77)
    assert not await db.updates.handled(BOT, 78)
    assert not await db.updates.handled(BOT + 1, 77)  # update ids are per bot


async def test_a_repeated_update_rolls_its_write_back(db: Database, now: datetime) -> None:
    await db.users.upsert(1, "Ann", None, "en", now)
    with handling(HandledUpdate(BOT, 5, now)):
        await db.users.set_language(1, "zh_Hans", now)
    # The same update handled again (a second worker, or past the early check):
    with handling(HandledUpdate(BOT, 5, now)), pytest.raises(UpdateAlreadyHandled):
        await db.users.set_language(1, "en", now)
    user = await db.users.get(1)
    assert user is not None and user.language == "zh_Hans"


async def test_refreshing_the_user_does_not_mark_the_update_handled(
    db: Database, now: datetime
) -> None:
    entry = HandledUpdate(BOT, 9, now)
    with handling(entry):
        await db.users.upsert(1, "Ann", None, "en", now)  # a write, but not the update's effect
    assert not entry.recorded
    assert not await db.updates.handled(BOT, 9)


async def test_a_write_that_fails_records_nothing(db: Database, now: datetime) -> None:
    entry = HandledUpdate(BOT, 11, now)
    with handling(entry), pytest.raises(NotFound):
        await db.users.set_language(404, "en", now)  # no such user
    assert not entry.recorded
    assert not await db.updates.handled(BOT, 11)


async def test_prune_forgets_old_updates(db: Database, now: datetime) -> None:
    await db.users.upsert(1, "Ann", None, "en", now)
    for update_id, at in ((1, now - timedelta(days=3)), (2, now)):
        with handling(HandledUpdate(BOT, update_id, at)):
            await db.users.set_language(1, "en", at)
    assert await db.updates.prune(now - timedelta(days=2)) == 1
    assert not await db.updates.handled(BOT, 1)
    assert await db.updates.handled(BOT, 2)


async def test_two_workers_handling_one_update_apply_it_once(db: Database, now: datetime) -> None:
    """Both passed the early check; the ledger row lets exactly one of them commit."""
    await db.users.upsert(1, "Ann", None, "en", now)

    async def worker(language: str) -> str:
        with handling(HandledUpdate(BOT, 31, now)):
            try:
                await db.users.set_language(1, language, now)
            except UpdateAlreadyHandled:
                return "skipped"
            return language

    results = await asyncio.gather(worker("en"), worker("zh_Hans"))
    assert "skipped" in results
    applied = [r for r in results if r != "skipped"]
    assert len(applied) == 1
    user = await db.users.get(1)
    assert user is not None and user.language == applied[0]
