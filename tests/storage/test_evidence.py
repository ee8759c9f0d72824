"""Evidence: numbers per case that are never reused, storing with hashes, all on the record."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import Role
from storage import Conflict, Database, DuplicateEvidence, NotFound
from tests.storage.factory import BUYER, SUPPLIER, draft_case, submitted_case

SHA = "ab" * 32


async def test_add_numbers_items_and_records_events(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    photo = await db.evidence.add(
        case.id,
        BUYER,
        Role.BUYER,
        "photo",
        "cracked housing",
        "defect",
        now,
        telegram_file_id="AgAC-file",
        telegram_file_unique_id="AQAD-unique",
        mime_type="image/jpeg",
        size=123_456,
    )
    statement = await db.evidence.add(
        case.id,
        BUYER,
        Role.BUYER,
        "statement",
        "what the driver said",
        "delivery",
        now + timedelta(minutes=1),
        text="He left the pallet in the rain.",
    )
    bank = await db.evidence.add(
        case.id,
        BUYER,
        Role.BUYER,
        "statement",
        "payment proof",
        "payment",
        now + timedelta(minutes=2),
        text="IBAN DE00 1234",
        mediator_only=True,
    )
    assert [photo.number, statement.number, bank.number] == [1, 2, 3]
    assert (photo.sha256, photo.stored_at, photo.mediator_only) == (None, None, False)
    assert photo.created_at == now

    events = [e for e in await db.history.list(case.id) if e.kind == "evidence.added"]
    assert events[0].payload == {
        "number": 1,
        "kind": "photo",
        "label": "cracked housing",
        "tag": "defect",
        "size": 123_456,
        "file_unique_id": "AQAD-unique",
        "mediator_only": False,
    }
    assert events[1].payload["text"] == "He left the pallet in the rain."
    assert "text" not in events[2].payload and events[2].payload["mediator_only"] is True


async def test_list_and_get(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    await db.evidence.add(case.id, BUYER, Role.BUYER, "photo", "a", "defect", now)
    await db.evidence.add(
        case.id, BUYER, Role.BUYER, "document", "bank", "payment", now, mediator_only=True
    )
    await db.evidence.add(case.id, SUPPLIER, Role.SUPPLIER, "document", "b/l", "delivery", now)
    assert [e.number for e in await db.evidence.list(case.id)] == [1, 2, 3]
    visible = await db.evidence.list(case.id, include_mediator_only=False)
    assert [e.number for e in visible] == [1, 3]
    second = await db.evidence.get(case.id, 2)
    assert second is not None and second.label == "bank" and second.mediator_only
    assert await db.evidence.get(case.id, 9) is None


async def test_numbers_are_not_reused_after_removal(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    for label in ("one", "two"):
        await db.evidence.add(case.id, BUYER, Role.BUYER, "photo", label, "defect", now)
    removed = await db.evidence.remove_unstored(case.id, 2, now + timedelta(minutes=1))
    assert removed.removed_at == now + timedelta(minutes=1)
    assert await db.evidence.get(case.id, 2) is None
    third = await db.evidence.add(case.id, BUYER, Role.BUYER, "photo", "three", "defect", now)
    assert third.number == 3
    assert [e.number for e in await db.evidence.list(case.id)] == [1, 3]
    [event] = [e for e in await db.history.list(case.id) if e.kind == "evidence.removed"]
    assert (event.payload, event.actor_id, event.actor_role) == ({"number": 2}, BUYER, Role.BUYER)
    with pytest.raises(NotFound):
        await db.evidence.remove_unstored(case.id, 2, now)


async def test_stored_items_stay(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    item = await db.evidence.add(case.id, BUYER, Role.BUYER, "photo", "x", "defect", now)
    stored = await db.evidence.mark_stored(item.id, SHA.upper(), 2048, "cases/1/E1.jpg", now)
    assert (stored.sha256, stored.size, stored.store_key, stored.stored_at) == (
        SHA,
        2048,
        "cases/1/E1.jpg",
        now,
    )
    [event] = [e for e in await db.history.list(case.id) if e.kind == "evidence.stored"]
    assert event.payload == {"number": 1, "sha256": SHA, "size": 2048}
    assert event.actor_role is Role.SYSTEM

    again = await db.evidence.mark_stored(item.id, SHA, 2048, "cases/1/E1.jpg", now)
    assert again == stored
    with pytest.raises(Conflict):
        await db.evidence.mark_stored(item.id, "cd" * 32, 2048, "elsewhere", now)
    with pytest.raises(Conflict):
        await db.evidence.remove_unstored(case.id, 1, now)
    with pytest.raises(NotFound):
        await db.evidence.mark_stored(9999, SHA, 1, "x", now)


async def test_storing_a_removed_item_is_refused(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    item = await db.evidence.add(case.id, BUYER, Role.BUYER, "photo", "x", "defect", now)
    await db.evidence.remove_unstored(case.id, item.number, now)
    with pytest.raises(Conflict):
        await db.evidence.mark_stored(item.id, SHA, 1, "x", now)


async def test_add_to_unknown_case_is_not_found(db: Database, now: datetime) -> None:
    with pytest.raises(NotFound):
        await db.evidence.add(404, BUYER, Role.BUYER, "photo", "x", "defect", now)


async def test_concurrent_adds_get_distinct_numbers(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    items = await asyncio.gather(
        *(
            worker.evidence.add(case.id, who, role, "photo", f"item {n}", "defect", now)
            for n, (worker, who, role) in enumerate(
                [(db, BUYER, Role.BUYER), (other_worker, SUPPLIER, Role.SUPPLIER)] * 5
            )
        )
    )
    assert sorted(i.number for i in items) == list(range(1, 11))
    assert (await db.history.verify(case.id)).ok


async def test_a_stored_file_is_evidence_of_a_case_once(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    other = await submitted_case(db, now)
    first = await db.evidence.add(
        case.id, BUYER, Role.BUYER, "photo", "x", "defect", now, sha256=SHA.upper(), store_key="p"
    )
    assert (first.sha256, first.store_key, first.stored_at) == (SHA, "p", now)
    kinds = [e.kind for e in await db.history.list(case.id)][-2:]
    assert kinds == ["evidence.added", "evidence.stored"]
    assert await db.evidence.with_file(case.id, SHA.upper()) == first

    before = len(await db.history.list(case.id))
    with pytest.raises(DuplicateEvidence) as refused:
        await db.evidence.add(
            case.id,
            SUPPLIER,
            Role.SUPPLIER,
            "document",
            "y",
            "other",
            now,
            sha256=SHA,
            store_key="p",
        )
    assert refused.value.number == 1 and refused.value.case_id == case.id
    assert len(await db.history.list(case.id)) == before  # nothing recorded
    # Another case may hold the same file; statements (no file) are never duplicates.
    await db.evidence.add(
        other.id, BUYER, Role.BUYER, "photo", "x", "defect", now, sha256=SHA, store_key="p"
    )
    await db.evidence.add(case.id, BUYER, Role.BUYER, "statement", "s", "other", now, text="t")
    with pytest.raises(ValueError, match="together"):
        await db.evidence.add(case.id, BUYER, Role.BUYER, "photo", "x", "defect", now, sha256=SHA)
    assert (await db.history.verify(case.id)).ok


async def test_two_workers_adding_one_file_at_once_get_one_item(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    outcomes = await asyncio.gather(
        *(
            worker.evidence.add(
                case.id, who, role, "photo", "same", "defect", now, sha256=SHA, store_key="p"
            )
            for worker, who, role in [
                (db, BUYER, Role.BUYER),
                (other_worker, SUPPLIER, Role.SUPPLIER),
            ]
        ),
        return_exceptions=True,
    )
    added = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, DuplicateEvidence)]
    assert len(added) == 1 and len(refused) == 1 and refused[0].number == 1
    assert [i.number for i in await db.evidence.list(case.id)] == [1]


async def test_a_screenshot_is_answered_once_and_on_the_record(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    shot = await db.evidence.add(
        case.id, BUYER, Role.BUYER, "photo", "WeChat chat", "chat_screenshot", now
    )
    answered = await db.evidence.judge_authenticity(
        case.id, shot.number, SUPPLIER, Role.SUPPLIER, "disputed", now + timedelta(minutes=1)
    )
    assert (answered.authenticity, answered.authenticity_by) == ("disputed", SUPPLIER)
    assert answered.authenticity_at == now + timedelta(minutes=1)
    # Never flipped: neither to "confirmed" nor disputed again.
    for verdict in ("confirmed", "disputed"):
        with pytest.raises(Conflict):
            await db.evidence.judge_authenticity(
                case.id, shot.number, SUPPLIER, Role.SUPPLIER, verdict, now
            )
    with pytest.raises(NotFound):
        await db.evidence.judge_authenticity(case.id, 99, SUPPLIER, Role.SUPPLIER, "confirmed", now)
    # The reason: only by whoever disputed, once.
    with pytest.raises(Conflict):
        await db.evidence.give_dispute_reason(case.id, shot.number, BUYER, Role.BUYER, "x", now)
    reasoned = await db.evidence.give_dispute_reason(
        case.id, shot.number, SUPPLIER, Role.SUPPLIER, "cropped, dates edited", now
    )
    assert reasoned.authenticity_reason == "cropped, dates edited"
    with pytest.raises(Conflict):
        await db.evidence.give_dispute_reason(
            case.id, shot.number, SUPPLIER, Role.SUPPLIER, "again", now
        )
    assert (await db.evidence.get(case.id, shot.number)) == reasoned
    events = [e for e in await db.history.list(case.id) if e.kind.startswith("evidence.dis")]
    assert [(e.kind, e.actor_role, e.payload) for e in events] == [
        ("evidence.disputed", Role.SUPPLIER, {"number": shot.number}),
        (
            "evidence.dispute_reason",
            Role.SUPPLIER,
            {"number": shot.number, "reason": "cropped, dates edited"},
        ),
    ]
