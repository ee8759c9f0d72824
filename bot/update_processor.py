"""Updates from different chats run concurrently; updates from one chat run in order, also
across workers; a busy chat never holds back the others.

PTB either processes every update one after the other (slow when many people talk at once) or
all of them concurrently (a buyer's fast second answer could overtake the first). This keeps the
order within a chat, which is what a conversation needs, and lets chats proceed in parallel.

An update first waits for its chat's earlier updates (an in-memory lock per chat, FIFO), and
only then takes one of the `max_concurrent_updates` slots: so a chat with a hundred queued
updates occupies one slot, not all of them, and other chats' updates go on meanwhile. (PTB's
own `process_update` takes the slot first, which lets one chat's queue fill every slot.)

With several workers (PostgreSQL), the slot holder then takes the chat's advisory lock
(`storage/chat_locks.py`, set by `use_shared_locks` at start-up): a message and a button press
of one chat that reached two workers are handled one after the other, never interleaved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from flows.metrics import measured

SharedLock = Callable[[int], AbstractAsyncContextManager[None]]


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


# PTB's `process_update` (final) takes one of its slots before `do_process_update` runs, which
# lets one chat's queue fill every slot; its semaphore is made wide enough never to wait, and
# the real limit is taken here, after the chat's turn came.
_UNLIMITED = 1 << 20


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """`after_update`, when set, runs once an update is handled (outside its chat's turn, in
    the update's task): taking off the buttons it made stale (`bot/buttons_off.py`). It must
    not raise."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(_UNLIMITED)
        self.slots = max_concurrent_updates
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self.after_update: Callable[[object], Awaitable[None]] | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._shared: SharedLock | None = None

    def use_shared_locks(self, shared: SharedLock | None) -> None:
        """Hold `shared(chat)` around each update of that chat (the other workers' updates)."""
        self._shared = shared

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._in_turn(update, coroutine)
        finally:
            if self.after_update is not None:
                await self.after_update(update)

    async def _in_turn(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            async with self._slots:
                await measured(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            # this chat's earlier updates first, holding no slot meanwhile; then a slot
            async with lock, self._slots:
                shared = self._shared(key) if self._shared is not None else nullcontext()
                async with shared:  # the other workers' updates of this chat
                    await measured(update, coroutine)  # counted and timed for /metrics
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # nobody waits on it: forget the lock
                del self._users[key]
                del self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
