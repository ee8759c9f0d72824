"""The per-chat advisory lock: one chat's updates one at a time over two workers (PostgreSQL);
other chats go on meanwhile."""

from __future__ import annotations

import asyncio

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
