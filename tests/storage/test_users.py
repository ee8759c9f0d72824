"""Users: upsert refreshes what Telegram says, never the user's own choices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage import Database, NotFound


async def test_upsert_creates_then_refreshes_without_touching_choices(
    db: Database, now: datetime
) -> None:
    created = await db.users.upsert(42, "Ann", "ann", "en", now)
    assert created.id == 42
    assert (created.language, created.timezone) == (None, None)
    assert created.created_at == now and created.created_at.tzinfo is UTC

    later = now + timedelta(hours=1)
    await db.users.set_language(42, "zh_Hans", later)
    await db.users.set_timezone(42, "Asia/Shanghai", later)

    again = now + timedelta(hours=2)
    refreshed = await db.users.upsert(42, "Annie", None, "zh-hans", again)
    assert refreshed.first_name == "Annie"
    assert refreshed.username is None
    assert refreshed.telegram_language == "zh-hans"
    assert refreshed.language == "zh_Hans"
    assert refreshed.timezone == "Asia/Shanghai"
    assert refreshed.created_at == now
    assert refreshed.updated_at == again
    assert await db.users.get(42) == refreshed


async def test_upsert_without_changes_leaves_the_row_alone(db: Database, now: datetime) -> None:
    first = await db.users.upsert(7_000_000_001, "Big", "big", "en", now)
    same = await db.users.upsert(7_000_000_001, "Big", "big", "en", now + timedelta(days=1))
    assert same == first


async def test_get_unknown_user_is_none(db: Database) -> None:
    assert await db.users.get(999) is None


async def test_setting_choices_of_unknown_user_raises(db: Database, now: datetime) -> None:
    with pytest.raises(NotFound):
        await db.users.set_language(999, "en", now)
    with pytest.raises(NotFound):
        await db.users.set_timezone(999, "UTC", now)


async def test_language_can_be_forgotten(db: Database, now: datetime) -> None:
    await db.users.upsert(5, "Eve", None, "en", now)
    await db.users.set_language(5, "en", now)
    user = await db.users.set_language(5, None, now)
    assert user.language is None


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        await db.users.upsert(6, "Nat", None, None, datetime(2026, 1, 1))


async def test_other_zones_are_stored_as_utc(db: Database) -> None:
    shanghai = datetime(2026, 11, 26, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    user = await db.users.upsert(8, "Zed", None, None, shanghai)
    assert user.created_at.tzinfo is UTC
    assert user.created_at == shanghai
    assert user.created_at.hour == 9
