"""SQLite through aiosqlite with one trip to its thread per statement, not four.

aiosqlite runs every call on the sqlite3 connection in a thread of its own; each call is a
round trip (a queue, a future, the event loop's self-pipe, two thread switches). SQLAlchemy's
aiosqlite adapter makes four of them for one statement: create a cursor, execute, fetch the
rows, close the cursor. On the benchmark's machine a trip cost about 0.3 ms of CPU, more than
the statement itself, so a read of one row cost five trips and 1.7 ms (`tests/bench/`). A
rollback with no transaction open (a read of one statement, which needs no BEGIN) makes none.

A transaction's BEGIN (`storage/engine.py` decides IMMEDIATE or DEFERRED) is not a trip of its
own either: `defer_begin` keeps it, and the transaction's first statement runs it just before
itself, in the same trip. A transaction that ran no statement commits or rolls back without a
trip. BEGIN IMMEDIATE so takes the write lock as the first statement runs, no longer at
`begin()`: code that must hold it before any statement of its own runs one first
(`storage/migrator.py`, before Alembic). A BEGIN that fails (the busy timeout ran out) fails
that statement, with the same error.

`OneTripDBAPI` is SQLAlchemy's own aiosqlite DBAPI adapter whose cursor runs the whole
statement (cursor, execute, fetch every row, close) in one trip and keeps what it needs
(description, rows, rowcount, lastrowid). Transactions, errors and the pool are SQLAlchemy's
as before; only the number of trips changes. It is handed to the engine as its DBAPI module
(`create_async_engine(..., module=...)`, `storage/engine.py`). Server-side cursors (not used
by the bot) keep SQLAlchemy's own class.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["OneTripConnection", "OneTripDBAPI", "one_trip_dbapi"]

# description, rows, rowcount, lastrowid
Outcome = tuple[Any, list[Any], int, int | None]


def _run(
    connection: sqlite3.Connection,
    begin: str | None,
    operation: str,
    parameters: Any,
    many: bool,
) -> Outcome:
    """In aiosqlite's thread: the transaction's BEGIN if it is the first statement, then the
    whole statement on the sqlite3 connection."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose every statement is one trip to aiosqlite's thread (rows fetched then)."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:
        # no aiosqlite cursor (that is a trip of its own): `_run` makes one per statement
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        return None

    async def _async_soft_close(self) -> None:
        return None  # nothing open: the statement's cursor closed in its trip

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None

    def nextset(self) -> None:
        return None

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, OneTripConnection)  # (made by OneTripConnection's cursor())
        async with adapt._execute_mutex:
            raw = self._connection._conn
            begin, adapt._begin = adapt._begin, None
            outcome: Outcome = await self._connection._execute(
                _run, raw, begin, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        if self._description:
            self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._trip(operation, seq_of_parameters, True)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin",)

    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None  # the BEGIN the next statement runs first

    def defer_begin(self, statement: str) -> None:
        """Begin the transaction with `statement` (`BEGIN IMMEDIATE`, ...) in the trip of its
        first statement."""
        self._begin = statement

    def _nothing_begun(self) -> bool:
        """No BEGIN has run on the connection (a read of one statement, or a transaction
        whose BEGIN still waits for a first statement): commit and rollback would do
        nothing, so they make no trip. Nothing else runs on the connection meanwhile
        (SQLAlchemy hands it to one task at a time)."""
        self._begin = None
        raw = self._connection._connection
        return raw is not None and not raw.in_transaction

    def rollback(self) -> None:
        if not self._nothing_begun():
            super().rollback()

    def commit(self) -> None:
        if not self._nothing_begun():
            super().commit()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI adapter, with `OneTripConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            connection = self.aiosqlite.connect(*arg, **kw)
            connection._thread.daemon = True  # as SQLAlchemy does: never hold up the exit
        return OneTripConnection(self, await_(connection))


def one_trip_dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
