"""The record of which message shows which buttons (`button_messages`): recorded once per
message, replaced by an edit, forgotten when none is left; never the update's ledger row."""

from __future__ import annotations

from datetime import datetime

from storage import Database, HandledUpdate, handling

BOT = 123456
ACCEPT = [[("Accept", "pp:1:a"), ("Reject", "pp:1:r")]]


async def test_a_message_is_recorded_once_and_replaced_by_an_edit(
    db: Database, now: datetime
) -> None:
    await db.buttons.record(-100, 7, ACCEPT, now)
    await db.buttons.record(-100, 7, ACCEPT, now)  # the same send recorded twice: one row
    await db.buttons.record(5, 7, [[("Mark done", "ob:3:d")]], now)  # same id, other chat
    assert [(m.chat_id, m.message_id) for m in await db.buttons.all()] == [(-100, 7), (5, 7)]

    await db.buttons.record(-100, 7, [[("Reject", "pp:1:r")]], now)
    found = await db.buttons.get(-100, 7)
    assert found is not None and found.buttons == [[("Reject", "pp:1:r")]]


async def test_a_message_left_without_buttons_is_forgotten(db: Database, now: datetime) -> None:
    await db.buttons.record(-100, 7, ACCEPT, now)
    await db.buttons.record(-100, 7, [], now)
    assert await db.buttons.get(-100, 7) is None
    await db.buttons.record(-100, 8, ACCEPT, now)
    await db.buttons.forget(-100, 8)
    await db.buttons.forget(-100, 8)  # forgetting twice is harmless
    assert await db.buttons.all() == []


async def test_recording_buttons_does_not_mark_the_update_handled(
    db: Database, now: datetime
) -> None:
    entry = HandledUpdate(BOT, 9, now)
    with handling(entry):
        await db.buttons.record(-100, 7, ACCEPT, now)
        await db.buttons.forget(-100, 7)
    assert not entry.recorded
    assert not await db.updates.handled(BOT, 9)
