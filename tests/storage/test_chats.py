"""The shared dispute chat: one per case, one case per chat, recording, leaving, migrating."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest

from flows.rules.lifecycle import Role
from storage import CaseChat, Conflict, Database, HistoryEvent, NotFound
from tests.storage.factory import BUYER, STRANGER, SUPPLIER, draft_case, submitted_case

GROUP = -1_001_234_567_890  # a supergroup id: negative and beyond 32 bits
OTHER_GROUP = -1_009_876_543_210


def _chat_events(events: list[HistoryEvent]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.kind, e.payload) for e in events if e.kind.startswith("chat.")]


async def test_bind_and_read_both_ways(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    chat = await db.chats.bind(case.id, GROUP, BUYER, now, title="Case 1 · PO-1")
    assert chat == CaseChat(case.id, GROUP, "bound", False, BUYER, now, "Case 1 · PO-1", now)
    assert await db.chats.for_case(case.id) == chat
    assert await db.chats.case_for_chat(GROUP) == chat
    assert await db.chats.case_for_chat(OTHER_GROUP) is None
    assert await db.chats.for_case(404) is None

    [event] = [e for e in await db.history.list(case.id) if e.kind == "chat.bound"]
    assert (event.actor_id, event.actor_role, event.payload) == (
        BUYER,
        Role.BUYER,
        {"chat_id": GROUP},
    )


async def test_binding_the_same_pair_again_returns_it(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    first = await db.chats.bind(case.id, GROUP, BUYER, now)
    again = await db.chats.bind(case.id, GROUP, SUPPLIER, now + timedelta(hours=1))
    assert again == first
    assert len(_chat_events(await db.history.list(case.id))) == 1


async def test_one_chat_per_case_and_one_case_per_chat(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    other = await draft_case(db, now)
    await db.chats.bind(case.id, GROUP, BUYER, now)
    with pytest.raises(Conflict, match="already has chat"):
        await db.chats.bind(case.id, OTHER_GROUP, BUYER, now)
    with pytest.raises(Conflict, match="belongs to case"):
        await db.chats.bind(other.id, GROUP, BUYER, now)
    assert await db.chats.for_case(other.id) is None
    with pytest.raises(NotFound):
        await db.chats.bind(404, OTHER_GROUP, BUYER, now)


async def test_actor_without_a_role_is_recorded_as_the_system(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    await db.chats.bind(case.id, GROUP, STRANGER, now)
    [event] = [e for e in await db.history.list(case.id) if e.kind == "chat.bound"]
    assert (event.actor_id, event.actor_role) == (STRANGER, Role.SYSTEM)


async def test_recording_event_only_on_change(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    await db.chats.bind(case.id, GROUP, BUYER, now)
    later = now + timedelta(minutes=1)
    on = await db.chats.set_recording(GROUP, True, later)
    assert (on.can_record, on.updated_at) == (True, later)
    assert await db.chats.set_recording(GROUP, True, later + timedelta(minutes=1)) == on
    off = await db.chats.set_recording(GROUP, False, later + timedelta(minutes=2))
    assert off.can_record is False
    assert _chat_events(await db.history.list(case.id))[1:] == [
        ("chat.recording", {"chat_id": GROUP, "can_record": True}),
        ("chat.recording", {"chat_id": GROUP, "can_record": False}),
    ]
    with pytest.raises(NotFound):
        await db.chats.set_recording(OTHER_GROUP, True, now)


async def test_unbind_then_bind_again(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    await db.chats.bind(case.id, GROUP, BUYER, now)
    await db.chats.set_recording(GROUP, True, now)
    left = await db.chats.unbind(GROUP, now + timedelta(hours=1))
    assert left is not None
    assert (left.status, left.can_record, left.updated_at) == (
        "left",
        False,
        now + timedelta(hours=1),
    )
    assert await db.chats.unbind(GROUP, now + timedelta(hours=2)) == left  # no second event
    assert await db.chats.unbind(OTHER_GROUP, now) is None  # a group of no case

    # the bot is added back to the same group, then the case moves to a new group
    back = await db.chats.bind(case.id, GROUP, BUYER, now + timedelta(hours=3))
    assert (back.status, back.bound_at) == ("bound", now + timedelta(hours=3))
    await db.chats.unbind(GROUP, now + timedelta(hours=4))
    moved = await db.chats.bind(case.id, OTHER_GROUP, SUPPLIER, now + timedelta(hours=5))
    assert (moved.chat_id, moved.bound_by, moved.status) == (OTHER_GROUP, SUPPLIER, "bound")
    assert await db.chats.case_for_chat(GROUP) is None

    assert [kind for kind, _ in _chat_events(await db.history.list(case.id))] == [
        "chat.bound",
        "chat.recording",
        "chat.left",
        "chat.bound",
        "chat.left",
        "chat.bound",
    ]


async def test_a_left_group_stays_with_its_case(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    other = await draft_case(db, now)
    await db.chats.bind(case.id, GROUP, BUYER, now)
    await db.chats.unbind(GROUP, now)
    with pytest.raises(Conflict, match="belongs to case"):
        await db.chats.bind(other.id, GROUP, BUYER, now)


async def test_migrate_to_supergroup_is_followed_once(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    old = -4_000_123
    await db.chats.bind(case.id, old, BUYER, now)
    later = now + timedelta(days=1)
    moved = await db.chats.migrate_chat(old, GROUP, later)
    assert (moved.case_id, moved.chat_id, moved.updated_at) == (case.id, GROUP, later)
    assert moved.former_chat_id == old
    # Telegram reports the move in the old chat and in the new one
    assert await db.chats.migrate_chat(old, GROUP, later) == moved
    # what was said in the old group and is handled only now still belongs to the case
    assert await db.chats.case_for_chat(old) == moved
    assert await db.chats.for_case(case.id) == moved
    migrated = [p for k, p in _chat_events(await db.history.list(case.id)) if k == "chat.migrated"]
    assert migrated == [{"from_chat_id": old, "to_chat_id": GROUP}]
    with pytest.raises(NotFound):
        await db.chats.migrate_chat(-1, -2, later)


async def test_a_new_chat_after_an_upgraded_one_forgets_the_old_group(
    db: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    old = -4_000_123
    await db.chats.bind(case.id, old, BUYER, now)
    await db.chats.migrate_chat(old, GROUP, now)
    await db.chats.unbind(GROUP, now)
    again = await db.chats.bind(case.id, GROUP, BUYER, now)  # the same supergroup, bot back
    assert again.former_chat_id == old
    await db.chats.unbind(GROUP, now)
    other = await db.chats.bind(case.id, OTHER_GROUP, BUYER, now)
    assert other.former_chat_id is None
    assert await db.chats.case_for_chat(old) is None


async def test_inputs_typed_in_the_group_move_with_it(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    old = -4_000_123
    await db.chats.bind(case.id, old, BUYER, now)
    await db.inputs.put(BUYER, old, "group_evidence", case.id, "label", {"n": 1}, now)
    await db.inputs.put(SUPPLIER, old, "group_evidence", case.id, "label", {"n": 2}, now)
    await db.inputs.put(SUPPLIER, GROUP, "group_evidence", case.id, "tag", {"n": 3}, now)
    await db.inputs.put(BUYER, BUYER, "proposal", case.id, "menu", {"n": 4}, now)
    await db.chats.migrate_chat(old, GROUP, now)
    await db.chats.migrate_chat(old, GROUP, now)  # reported again: nothing more moves
    moved = await db.inputs.get(BUYER, GROUP)
    assert moved is not None and (moved.step, moved.data) == ("label", {"n": 1})
    newer = await db.inputs.get(SUPPLIER, GROUP)
    assert newer is not None and newer.data == {"n": 3}  # started in the supergroup: kept
    assert await db.inputs.get(BUYER, old) is None and await db.inputs.get(SUPPLIER, old) is None
    private = await db.inputs.get(BUYER, BUYER)
    assert private is not None and private.data == {"n": 4}


async def test_the_links_made_in_the_group_move_with_it(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    old = -4_000_123
    await db.chats.bind(case.id, old, BUYER, now)
    link = "https://t.me/+made-in-the-basic-group"
    await db.chat_links.add(case.id, old, SUPPLIER, link, now, now + timedelta(hours=24))
    await db.chats.migrate_chat(old, GROUP, now)
    [live] = await db.chat_links.live(case.id, now)
    assert (live.invite_link, live.chat_id) == (link, GROUP)  # revocable under the new id


async def test_migrate_onto_another_cases_chat_is_refused(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    other = await draft_case(db, now)
    await db.chats.bind(case.id, -4_000_123, BUYER, now)
    await db.chats.bind(other.id, GROUP, BUYER, now)
    with pytest.raises(Conflict):
        await db.chats.migrate_chat(-4_000_123, GROUP, now)


async def test_one_chat_bound_to_two_cases_at_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    first = await submitted_case(db, now)
    second = await draft_case(db, now)
    results = await asyncio.gather(
        db.chats.bind(first.id, GROUP, BUYER, now),
        other_worker.chats.bind(second.id, GROUP, BUYER, now),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, CaseChat)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Conflict)
    assert await db.chats.case_for_chat(GROUP) == won[0]


async def test_one_case_bound_to_two_chats_at_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    results = await asyncio.gather(
        db.chats.bind(case.id, GROUP, BUYER, now),
        other_worker.chats.bind(case.id, OTHER_GROUP, BUYER, now),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, CaseChat)]
    assert len(won) == 1
    assert [type(r) for r in results if isinstance(r, BaseException)] == [Conflict]
    assert len(_chat_events(await db.history.list(case.id))) == 1
