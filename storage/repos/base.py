"""What every repository shares: read and write transactions, retries, the case-row lock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.engine import one_reader, write_turn, writer
from storage.errors import ConcurrentUpdate, NotFound
from storage.ledger import HandledUpdate, UpdateAlreadyHandled, current_update, touch_case
from storage.records import Case
from storage.rows import case_from_row
from storage.tables import cases, handled_updates

__all__ = [
    "BEFORE_COMMIT",
    "Repo",
    "dialect_insert",
    "joined_case",
    "lock_case",
    "record_update",
    "with_its_case",
]

T = TypeVar("T")

# `conn.info[BEFORE_COMMIT]`: coroutines `hook(conn)` that `Repo._write` runs at the end of the
# write transaction, before it commits.
BEFORE_COMMIT = "disputebot.before_commit"

UNIQUE_RETRIES = 5
# How many (row -> case) answers `Repo._case_of` keeps per repository before starting afresh.
CASE_OF_KEPT = 20_000


class Repo:
    """Base of the repositories: holds the engine and opens transactions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self._one_reader = one_reader(engine)
        self._case_ids: dict[int, int] = {}

    async def _case_of(self, table: Table, row_id: int) -> int | None:
        """The case of row `row_id` of `table` (None: no such row). A row of the tables this
        is used for (proposals, obligations) never moves to another case and is never
        deleted, so the answer is kept: recording a message's buttons names its case
        (`flows/stale_buttons.py: case_of`) without a read for a row seen before."""
        known = self._case_ids.get(row_id)
        if known is not None:
            return known
        async with self._read_one() as conn:
            found = await conn.scalar(select(table.c.case_id).where(table.c.id == row_id))
        if found is None:
            return None
        if len(self._case_ids) >= CASE_OF_KEPT:
            self._case_ids.clear()
        self._case_ids[row_id] = int(found)
        return int(found)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reading (a deferred transaction, rolled back at the end)."""
        async with self._engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _read_one(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a read of ONE statement: on SQLite without BEGIN (the statement
        is a consistent read of its own, and a BEGIN costs as much as the read). Use `_read`
        for two statements or more, which must see the same state."""
        async with self._one_reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _write(self, *, ledger: bool = True) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back on an exception.

        While an update is being handled (`storage.ledger`), its first write transaction also
        records the update as handled, so the effect and the record commit together. `ledger`
        is False for writes that are not an effect of the update (refreshing the user's name),
        which must not mark the update handled before its real effect is written.
        """
        entry = current_update() if ledger else None
        async with write_turn(self._engine), self._writer.begin() as conn:
            if entry is not None and not entry.recorded:
                await record_update(conn, entry)
            try:
                yield conn
                # What must see the whole transaction runs last in it (the head of the
                # history a milestone posts: storage/witness.py), then the commit.
                for hook in conn.info.pop(BEFORE_COMMIT, []):
                    await hook(conn)
            finally:
                conn.info.pop(BEFORE_COMMIT, None)  # `info` outlives the checkout
        if entry is not None:
            entry.recorded = True
            entry.commits += 1

    async def _retry_unique(self, attempt: Callable[[], Awaitable[T]], what: str) -> T:
        """Run `attempt` (a whole transaction) again when it lost a race on a unique key."""
        for _ in range(UNIQUE_RETRIES - 1):
            try:
                return await attempt()
            except IntegrityError:
                continue
        try:
            return await attempt()
        except IntegrityError as exc:
            raise ConcurrentUpdate(f"{what}: gave up after {UNIQUE_RETRIES} attempts") from exc


async def lock_case(conn: AsyncConnection, case_id: int) -> None:
    """Lock the case row until the transaction ends, or raise NotFound.

    Everything that numbers rows within a case (history seq, evidence number) takes this lock
    first, so on PostgreSQL concurrent writers to one case queue instead of colliding. SQLite
    needs no row lock: its write transactions already run one at a time.
    """
    touch_case(case_id)  # what is written under the lock may make buttons stale
    found = await conn.scalar(
        select(cases.c.id).where(cases.c.id == case_id).with_for_update(key_share=True)
    )
    if found is None:
        raise NotFound(f"case {case_id} not found")


def with_its_case(table: Table) -> Any:
    """SELECT a row of `table` (bound parameter `row_id`) with its case's columns as
    its_case_<name>, in one statement (`joined_case` reads the case back)."""
    return (
        select(table, *(column.label(f"its_case_{column.name}") for column in cases.c))
        .join(cases, cases.c.id == table.c.case_id)
        .where(table.c.id == bindparam("row_id"))
    )


def joined_case(row: Mapping[Any, Any]) -> Case:
    """The case of a row read by a `with_its_case` statement."""
    return case_from_row({column.name: row[f"its_case_{column.name}"] for column in cases.c})


def _ledger_insert(insert: Any) -> Any:
    return (
        insert(handled_updates)
        .values(
            bot_id=bindparam("ledger_bot"),
            update_id=bindparam("ledger_update"),
            handled_at=bindparam("ledger_at", type_=handled_updates.c.handled_at.type),
        )
        .on_conflict_do_nothing(
            index_elements=[handled_updates.c.bot_id, handled_updates.c.update_id]
        )
    )


# The ledger row's INSERT of each dialect, built once: it runs in every update's first write.
_LEDGER_INSERT = {
    "postgresql": _ledger_insert(postgresql.insert),
    "sqlite": _ledger_insert(sqlite.insert),
}


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT construct, for ON CONFLICT (both dialects spell it the same way)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def record_update(conn: AsyncConnection, entry: HandledUpdate) -> None:
    """Insert the ledger row of `entry` in the caller's transaction (`storage/ledger.py`).

    Raises `UpdateAlreadyHandled` when the row exists; the caller's transaction then rolls
    back, taking the duplicate effect with it. ON CONFLICT DO NOTHING rather than catching the
    unique violation: on PostgreSQL a concurrent insert of the same key makes this one wait for
    the other transaction and then do nothing, and `_retry_unique` never mistakes it for a
    lost race worth retrying.
    """
    result = await conn.execute(
        _LEDGER_INSERT[conn.dialect.name],
        {
            "ledger_bot": entry.bot_id,
            "ledger_update": entry.update_id,
            "ledger_at": entry.handled_at,
        },
    )
    if result.rowcount == 0:
        raise UpdateAlreadyHandled(entry.bot_id, entry.update_id)
