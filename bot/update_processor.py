"""Updates from different chats run concurrently; updates from one chat run in order.

PTB either processes every update one after the other (slow when many people talk at once) or
all of them concurrently (a buyer's fast second answer could overtake the first). This keeps the
order within a chat, which is what a conversation needs, and lets chats proceed in parallel.
Several workers on PostgreSQL are still safe: the repositories compare-and-set every change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from flows.metrics import measured


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """`after_update`, when set, runs once an update is handled (outside its chat's turn):
    taking off the buttons it made stale (`bot/buttons_off.py`). It must not raise."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self.after_update: Callable[[], Awaitable[None]] | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._in_turn(update, coroutine)
        finally:
            if self.after_update is not None:
                await self.after_update()

    async def _in_turn(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            await measured(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
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
