"""The outbox: queued with the change, claimed once, per-chat order, leases, giving up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from flows.rules.lifecycle import Action, Role
from storage import Database, OutboxMessage
from tests.storage.factory import BUYER, SUPPLIER, draft_case

LEASE = timedelta(seconds=60)


def _msg(chat_id: int, key: str, case_id: int | None = None) -> OutboxMessage:
    return OutboxMessage(chat_id, f"text {key}", key, case_id, [[("OK", "ok:1")]])


async def test_news_is_queued_with_the_change_and_not_without_it(
    db: Database, now: datetime
) -> None:
    case = await draft_case(db, now)
    news = [_msg(BUYER, "filed", case.id)]
    await db.cases.transition(case.id, Action.SUBMIT, BUYER, Role.BUYER, now, outbox=news)
    [row] = await db.outbox.for_case(case.id)
    assert (row.chat_id, row.text, row.buttons, row.status) == (
        BUYER,
        "text filed",
        [[("OK", "ok:1")]],
        "pending",
    )
    # A refused change queues nothing: the news and the change commit together or not at all.
    with pytest.raises(Exception, match="submit"):
        await db.cases.transition(
            case.id, Action.SUBMIT, BUYER, Role.BUYER, now, outbox=[_msg(BUYER, "twice", case.id)]
        )
    assert [r.dedupe_key for r in await db.outbox.for_case(case.id)] == ["filed"]


async def test_the_same_key_is_queued_once(db: Database, now: datetime) -> None:
    assert len(await db.outbox.add([_msg(BUYER, "k")], now)) == 1
    assert await db.outbox.add([_msg(BUYER, "k")], now) == []
    assert await db.outbox.open_count() == 1


async def test_a_claimed_row_is_claimed_once_and_a_chat_reads_in_order(
    db: Database, now: datetime
) -> None:
    await db.outbox.add([_msg(BUYER, "a"), _msg(BUYER, "b"), _msg(SUPPLIER, "c")], now)
    first = await db.outbox.claim(now, LEASE)
    # The buyer's second message waits for the first: one row per chat in flight.
    assert [r.dedupe_key for r in first] == ["a", "c"]
    assert await db.outbox.claim(now, LEASE) == []
    await db.outbox.mark_sent(first[0].id, 11, BUYER, now)
    [second] = await db.outbox.claim(now, LEASE)
    assert second.dedupe_key == "b"
    sent = await db.outbox.get_by_key("a")
    assert sent is not None and (sent.status, sent.message_id) == ("sent", 11)


async def test_a_lease_of_a_dead_worker_runs_out(db: Database, now: datetime) -> None:
    await db.outbox.add([_msg(BUYER, "a")], now)
    [claimed] = await db.outbox.claim(now, LEASE)
    assert await db.outbox.claim(now + LEASE - timedelta(seconds=1), LEASE) == []
    [again] = await db.outbox.claim(now + LEASE, LEASE)
    assert (again.id, again.attempts) == (claimed.id, 2)


async def test_retry_later_and_give_up_on_the_record(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    await db.outbox.add([_msg(BUYER, "a", case.id)], now)
    [row] = await db.outbox.claim(now, LEASE)
    retry_at = now + timedelta(seconds=5)
    await db.outbox.retry_later(row, "NetworkError: down", {"error": "NetworkError"}, retry_at, now)
    assert await db.outbox.claim(now, LEASE) == []
    [row] = await db.outbox.claim(now + timedelta(seconds=5), LEASE)
    await db.outbox.give_up(row, "Forbidden: blocked", {"error": "Forbidden", "role": "buyer"}, now)
    assert await db.outbox.open_count() == 0
    tried, event = [e for e in await db.history.list(case.id) if e.kind == "delivery.failed"]
    assert tried.payload == {"to": BUYER, "error": "NetworkError", "retry_at": retry_at.isoformat()}
    assert event.payload == {"to": BUYER, "error": "Forbidden", "role": "buyer"}
    gone = await db.outbox.get_by_key("a")
    assert gone is not None and (gone.status, gone.last_error) == ("failed", "Forbidden: blocked")
