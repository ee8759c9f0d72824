"""Users: the Telegram people the bot has seen, their language and time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import NotFound
from storage.records import User
from storage.repos.base import Repo
from storage.rows import user_from_row
from storage.tables import users

__all__ = ["UNREAD", "Unread", "UserRepo"]


class Unread:
    """`UserRepo.upsert`'s `known` when the caller has not read the user's row."""


UNREAD = Unread()


class UserRepo(Repo):
    """Reading and writing `users`."""

    async def upsert(
        self,
        id: int,
        first_name: str,
        username: str | None,
        telegram_language: str | None,
        now: datetime,
        known: User | Unread | None = UNREAD,
    ) -> User:
        """Create the user or refresh what Telegram says about them.

        Never touches `language` or `timezone` (the user's own choices). It runs on every
        update, so the common case (nothing changed) is a plain read that takes no write lock;
        only a new or changed user opens a write transaction.
        """
        if isinstance(known, Unread):  # else: read just before, in the same update
            known = await self.get(id)
        if known is not None and (known.first_name, known.username, known.telegram_language) == (
            first_name,
            username,
            telegram_language,
        ):
            return known
        # Not an effect of the update (ledger=False): a name refreshed again changes nothing.
        async with self._write(ledger=False) as conn:
            stmt = _insert_for(conn).values(
                id=id,
                first_name=first_name,
                username=username,
                telegram_language=telegram_language,
                language=None,
                timezone=None,
                created_at=now,
                updated_at=now,
            )
            excluded = stmt.excluded
            stmt = stmt.on_conflict_do_update(
                index_elements=[users.c.id],
                set_={
                    "first_name": excluded.first_name,
                    "username": excluded.username,
                    "telegram_language": excluded.telegram_language,
                    "updated_at": excluded.updated_at,
                },
                where=or_(
                    users.c.first_name != excluded.first_name,
                    users.c.username.is_distinct_from(excluded.username),
                    users.c.telegram_language.is_distinct_from(excluded.telegram_language),
                ),
            ).returning(*users.c)
            row = (await conn.execute(stmt)).mappings().first()
            if row is None:  # nothing changed: the conflict update was skipped
                row = (await conn.execute(select(users).where(users.c.id == id))).mappings().one()
            return user_from_row(row)

    async def get(self, id: int) -> User | None:
        """The user with Telegram id `id`, if the bot has seen them."""
        async with self._read_one() as conn:
            row = (await conn.execute(select(users).where(users.c.id == id))).mappings().first()
            return None if row is None else user_from_row(row)

    async def set_language(self, id: int, language: str | None, now: datetime) -> User:
        """Record the user's explicit language choice (None forgets it)."""
        return await self._set(id, now, language=language)

    async def set_timezone(self, id: int, tz: str | None, now: datetime) -> User:
        """Record the user's time zone (an IANA name; None forgets it)."""
        return await self._set(id, now, timezone=tz)

    async def _set(self, id: int, now: datetime, **values: Any) -> User:
        async with self._write() as conn:
            row = (
                (
                    await conn.execute(
                        update(users)
                        .where(users.c.id == id)
                        .values(updated_at=now, **values)
                        .returning(*users.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound(f"user {id} not found")
            return user_from_row(row)


def _insert_for(conn: AsyncConnection) -> Any:
    """The dialect's INSERT construct (both spell ON CONFLICT the same way)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(users)
    return sqlite.insert(users)
