"""Reading and pruning the update ledger (`handled_updates`, see `storage/ledger.py`).

Rows are written by `Repo._write`, in the transaction of an update's first effect; here is only
the early check and the pruning. The early check also reads the sender's row and pending input
(`first_look`): one read transaction where the update would otherwise open three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from storage.records import PendingInput, User
from storage.repos.base import Repo
from storage.rows import input_from_row, user_from_row
from storage.tables import handled_updates, pending_inputs, users

__all__ = ["FirstLook", "UpdateRepo"]


@dataclass(frozen=True)
class FirstLook:
    """What an update's handlers read first, read with its ledger check (`first_look`)."""

    user: User | None  # the sender's row (None: not seen before)
    pending: PendingInput | None  # the sender's pending input in the update's chat


class UpdateRepo(Repo):
    """The ledger of handled updates."""

    async def handled(self, bot_id: int, update_id: int) -> bool:
        """Whether this update was handled with effects before."""
        async with self._read() as conn:
            found = await conn.scalar(
                select(handled_updates.c.update_id).where(
                    handled_updates.c.bot_id == bot_id, handled_updates.c.update_id == update_id
                )
            )
        return found is not None

    async def first_look(
        self, bot_id: int, update_id: int, user_id: int | None, chat_id: int | None
    ) -> FirstLook | None:
        """None when this update was handled before; else the sender's row and their pending
        input in the chat (None: none), read in the one transaction of the ledger check."""
        async with self._read() as conn:
            found = await conn.scalar(
                select(handled_updates.c.update_id).where(
                    handled_updates.c.bot_id == bot_id, handled_updates.c.update_id == update_id
                )
            )
            if found is not None:
                return None
            if user_id is None:
                return FirstLook(None, None)
            row = (
                (await conn.execute(select(users).where(users.c.id == user_id))).mappings().first()
            )
            user = None if row is None else user_from_row(row)
            if chat_id is None:
                return FirstLook(user, None)
            pending = (
                (
                    await conn.execute(
                        select(pending_inputs).where(
                            pending_inputs.c.user_id == user_id, pending_inputs.c.chat_id == chat_id
                        )
                    )
                )
                .mappings()
                .first()
            )
        return FirstLook(user, None if pending is None else input_from_row(pending))

    async def prune(self, before: datetime) -> int:
        """Forget updates handled before `before`; returns how many.

        Telegram keeps an unconfirmed update for 24 hours, so an older row can never meet its
        update again; and after a week without updates Telegram picks the next id at random,
        which an old row must not shadow.
        """
        async with self._write(ledger=False) as conn:
            result = await conn.execute(
                delete(handled_updates).where(handled_updates.c.handled_at < before)
            )
        return int(result.rowcount or 0)
