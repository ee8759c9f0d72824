"""Reading and pruning the update ledger (`handled_updates`, see `storage/ledger.py`).

Rows are written by `Repo._write`, in the transaction of an update's first effect; here is only
the early check and the pruning.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from storage.repos.base import Repo
from storage.tables import handled_updates

__all__ = ["UpdateRepo"]


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
