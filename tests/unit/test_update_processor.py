"""PerChatUpdateProcessor: one chat in order, chats in parallel, and a busy chat's queue never
takes every slot (an update waits for its chat before it takes a slot)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from telegram import Chat, Message, Update

from bot.update_processor import PerChatUpdateProcessor

_ids = iter(range(1, 10_000))


def _update(chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.PRIVATE)
    message = Message(next(_ids), datetime(2026, 1, 1, tzinfo=UTC), chat, text="hi")
    return Update(next(_ids), message=message)


async def test_a_busy_chat_leaves_slots_for_the_others() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=2)
    release = asyncio.Event()
    other_done = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    async def quick() -> None:
        other_done.set()

    busy = [asyncio.create_task(processor.process_update(_update(1), slow())) for _ in range(10)]
    await asyncio.sleep(0)
    other = asyncio.create_task(processor.process_update(_update(2), quick()))
    # chat 1 has ten updates waiting; chat 2's goes through all the same
    await asyncio.wait_for(other_done.wait(), timeout=2)
    release.set()
    await asyncio.wait_for(asyncio.gather(*busy, other), timeout=5)


async def test_one_chat_in_order_chats_in_parallel() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=8)
    seen: list[tuple[int, int]] = []
    running = 0
    most = 0

    async def step(chat: int, n: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01 * (3 - n % 3))  # later ones would finish first if not ordered
        seen.append((chat, n))
        running -= 1

    await asyncio.gather(
        *(
            processor.process_update(_update(chat), step(chat, n))
            for n in range(6)
            for chat in (10, 20, 30)
        )
    )
    for chat in (10, 20, 30):
        assert [n for c, n in seen if c == chat] == list(range(6))
    assert most == 3  # one update per chat at a time, the three chats at once


async def test_the_shared_lock_is_held_around_each_update() -> None:
    processor = PerChatUpdateProcessor()
    held: list[int] = []
    log: list[str] = []

    @asynccontextmanager
    async def shared(chat: int) -> AsyncIterator[None]:
        held.append(chat)
        log.append(f"lock {chat}")
        yield
        log.append(f"unlock {chat}")

    processor.use_shared_locks(shared)

    async def work() -> None:
        log.append("work")

    await processor.process_update(_update(7), work())
    assert held == [7] and log == ["lock 7", "work", "unlock 7"]
