"""The per-chat advisory lock: one chat's updates one at a time over two workers (PostgreSQL);
other chats go on meanwhile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from storage import Database
from storage.chat_locks import chat_lock_key

CHAT, OTHER_CHAT = -1001234567890, 42


async def _held_by_other(db: Database, other_worker: Database, chat: int) -> bool:
    """Whether `other_worker` must wait for `chat` while `db` holds it."""
    async with db.chat_locks.hold(CHAT):
        waiting = asyncio.create_task(_enter(other_worker, chat))
        try:
            await asyncio.wait_for(asyncio.shield(waiting), timeout=0.5)
        except TimeoutError:
            return not waiting.done()
    await waiting
    return False


async def _enter(db: Database, chat: int) -> None:
    async with db.chat_locks.hold(chat):
        pass


async def test_one_chat_waits_for_the_other_worker(
    db: Database, other_worker: Database, backend: str
) -> None:
    if backend == "sqlite":
        assert not db.chat_locks.shared  # one worker: the in-memory order is enough
        async with db.chat_locks.hold(CHAT):
            pass
        return
    assert db.chat_locks.shared
    order: list[str] = []
    async with db.chat_locks.hold(CHAT):
        second = asyncio.create_task(_record(other_worker, CHAT, order, "second"))
        await asyncio.sleep(0.3)  # gives the other worker time to (wrongly) get in
        order.append("first done")
    await asyncio.wait_for(second, timeout=10)
    assert order == ["first done", "second"]


async def _record(db: Database, chat: int, order: list[str], name: str) -> None:
    async with db.chat_locks.hold(chat):
        order.append(name)


async def test_other_chats_do_not_wait(db: Database, other_worker: Database, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("one worker: no shared lock")
    assert not await _held_by_other(db, other_worker, OTHER_CHAT)
    assert await _held_by_other(db, other_worker, CHAT)


def test_keys_fit_postgres_int4() -> None:
    for chat in (0, 1, -1, 2**31, -(2**31) - 1, -1001234567890, 7_000_000_000):
        assert -(2**31) <= chat_lock_key(chat) < 2**31


async def test_two_workers_processors_keep_one_chat_in_order_and_chats_in_parallel(
    db: Database, other_worker: Database, backend: str
) -> None:
    """Two workers' update processors with their databases' chat locks: a message and a press
    of one chat that reach both never run at once; another chat's update runs meanwhile."""
    if backend == "sqlite":
        pytest.skip("one worker: no shared lock")
    from telegram import Chat, Message, Update

    from bot.update_processor import PerChatUpdateProcessor

    workers = [PerChatUpdateProcessor(), PerChatUpdateProcessor()]
    for worker, database in zip(workers, (db, other_worker), strict=True):
        worker.use_shared_locks(database.chat_locks.hold)

    def update(chat_id: int, n: int) -> Update:
        message = Message(n, datetime(2026, 1, 1, tzinfo=UTC), Chat(chat_id, Chat.SUPERGROUP))
        return Update(n, message=message)

    inside: list[int] = []
    overlap: list[tuple[int, ...]] = []
    first_in, release = asyncio.Event(), asyncio.Event()

    async def handle(chat_id: int, wait: bool) -> None:
        inside.append(chat_id)
        overlap.append(tuple(inside))
        first_in.set()
        if wait:
            await release.wait()
        inside.remove(chat_id)

    first = asyncio.create_task(workers[0].process_update(update(CHAT, 1), handle(CHAT, True)))
    await asyncio.wait_for(first_in.wait(), timeout=10)
    second = asyncio.create_task(workers[1].process_update(update(CHAT, 2), handle(CHAT, False)))
    # another chat, on the second worker, goes through while the first chat is busy
    await asyncio.wait_for(
        workers[1].process_update(update(OTHER_CHAT, 3), handle(OTHER_CHAT, False)), timeout=10
    )
    assert not second.done()  # the same chat waits for the other worker
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=10)
    assert all(seen.count(CHAT) <= 1 for seen in overlap)
    assert (CHAT, OTHER_CHAT) in overlap
