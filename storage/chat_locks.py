"""One chat's updates one at a time across workers: a PostgreSQL advisory lock per chat.

Telegram's Bot API server posts one update at a time per queue, but a chat's messages and its
button presses are in different queues (presses are queued by user), so with several webhook
workers a message and a press of the same chat can be handled at once by two workers. Each
worker already orders a chat's updates in memory (`bot/update_processor.py`); this lock makes
the same hold across workers: the worker that takes it first handles its update, the other
waits for it, then handles its own (which then sees what the first one changed).

The lock is a session-level `pg_advisory_lock(namespace, chat)` on a connection of a small pool
of its own, held from the start of the update's handling to its end (its transactions run on
the main pool, so a handler never waits for a connection that a lock holds). A worker killed
while holding it loses its connection, and PostgreSQL releases the lock at once. Two chats
whose ids fold to the same 32-bit key only take turns, which is harmless. On SQLite (one
worker) there is nothing to share: `hold` only yields.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["CHAT_LOCK_NAMESPACE", "ChatLocks", "chat_lock_key"]

log = logging.getLogger(__name__)

# The first key of the two-key advisory lock: a chat's lock, apart from the migrator's.
CHAT_LOCK_NAMESPACE = 0x43484154  # "CHAT"


def chat_lock_key(chat_id: int) -> int:
    """`chat_id` folded into PostgreSQL's signed 32-bit lock key."""
    return (chat_id + 2**31) % 2**32 - 2**31


class ChatLocks:
    """`async with locks.hold(chat_id):` one chat's update at a time over every worker."""

    def __init__(self, engine: AsyncEngine, *, connections: int = 64) -> None:
        self._engine: AsyncEngine | None = None
        if engine.dialect.name == "postgresql":
            self._engine = create_async_engine(
                engine.url, pool_size=4, max_overflow=connections, pool_pre_ping=True
            )

    @property
    def shared(self) -> bool:
        """Whether the lock holds across processes (PostgreSQL)."""
        return self._engine is not None

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        if self._engine is None:
            yield
            return
        params = {"ns": CHAT_LOCK_NAMESPACE, "key": chat_lock_key(chat_id)}
        async with self._engine.connect() as conn:
            try:
                await conn.execute(text("SELECT pg_advisory_lock(:ns, :key)"), params)
                await conn.commit()  # no transaction stays open while the update runs
            except BaseException:
                await conn.invalidate()  # a lock half taken must not go back to the pool
                raise
            try:
                yield
            finally:
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), params)
                    await conn.commit()
                except Exception:
                    # Closing the connection releases the lock: never pool a held one.
                    log.exception("chat %s's lock not released: its connection dropped", chat_id)
                    await conn.invalidate()
                except BaseException:  # cancelled while releasing
                    await conn.invalidate()
                    raise

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
