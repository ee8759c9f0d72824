"""Creating the async engine: driver URL, SQLite pragmas and SQLite transaction modes.

`connect_engine` also opens one connection, so that a database that cannot be reached or
created fails at start-up as `DatabaseUnavailable` (naming it without its password and saying
why) instead of as a driver traceback at the first update.

SQLite gets WAL mode, foreign keys and a busy timeout on every connection. The driver's own
implicit transactions are switched off and storage issues BEGIN itself: `BEGIN IMMEDIATE` for
write transactions (so two writers queue on the busy timeout instead of failing halfway when
upgrading a read lock) and a plain `BEGIN` for reads. PostgreSQL needs none of this.

SQLite runs one write transaction at a time. Within the process, writers take turns on an
asyncio lock (`write_turn`) before they take a connection and begin: each starts the moment the
one before it commits. Left to SQLite's busy handler, a waiting writer sleeps and polls (1, 2,
5, 10, ... 100 ms), so under a burst of updates most of a write's time was spent asleep
after the lock was already free, and the process ran at a fraction of its CPU
(`tests/bench/updates.py`). The busy timeout still covers another process (an operator's
`disputebot export`, a migration).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.errors import DatabaseUnavailable
from storage.sqlite_driver import OneTripConnection, one_trip_dbapi
from storage.urls import display_url, to_async_url

__all__ = [
    "BUSY_TIMEOUT_MS",
    "ONE_READ_OPTION",
    "WRITE_OPTION",
    "connect_engine",
    "create_engine",
    "one_reader",
    "write_turn",
    "writer",
]

BUSY_TIMEOUT_MS = 15_000
WRITE_OPTION = "storage_write"  # execution option: this connection will write
# execution option: this connection reads with one statement, which SQLite runs as a
# consistent read of its own: no BEGIN (on SQLite, a statement of its own costs about as much
# CPU as the read, through aiosqlite's thread)
ONE_READ_OPTION = "storage_one_read"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `url` (any form `to_async_url` accepts).

    For SQLite the database file's parent directory is created (`DatabaseUnavailable` when
    it cannot be); in-memory databases are refused, because every pooled connection would see
    a different empty database.
    """
    async_url = to_async_url(url)
    parsed = make_url(async_url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            raise ValueError(
                "in-memory SQLite is not supported; give a file, e.g. sqlite:///data/bot.db"
            )
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            blocking = next((p for p in (folder, *folder.parents) if p.is_file()), None)
            reason = f"{blocking} is a file, not a folder" if blocking else _reason(exc)
            raise DatabaseUnavailable(f"cannot open {display_url(url)}: {reason}") from None
        # one trip to aiosqlite's thread per statement (storage/sqlite_driver.py)
        engine = create_async_engine(async_url, module=one_trip_dbapi())
        _install_sqlite_events(engine)
        return engine
    return create_async_engine(async_url, pool_pre_ping=True)


async def connect_engine(url: str) -> AsyncEngine:
    """`create_engine(url)`, checked by opening one connection (a SQLite file is created).

    Raises `DatabaseUnavailable` when no server answers, the server refuses (no such database,
    role or password) or the SQLite file cannot be opened.
    """
    engine = create_engine(url)
    try:
        async with engine.connect():
            pass
    except (OSError, DBAPIError) as exc:
        # Only the opening of a connection runs here, so these are about reaching the
        # database, not about the schema or a query.
        await engine.dispose()
        raise DatabaseUnavailable(f"cannot open {display_url(url)}: {_reason(exc)}") from None
    except BaseException:
        await engine.dispose()
        raise
    return engine


def _reason(exc: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's wrapping, class names or SQL."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, OSError) and exc.strerror:
        # asyncio words a refused connection "Connect call failed (addr)"; the errno's own
        # text ("Connection refused") says more, and the URL already names the address.
        code = exc.errno
        if isinstance(code, int) and code > 0 and not isinstance(exc, socket.gaierror):
            reason = os.strerror(code)
        else:
            reason = exc.strerror
        return f"{reason}: {exc.filename}" if exc.filename else reason
    return str(exc).strip() or type(exc).__name__


def writer(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool), marked so that its transactions are write transactions."""
    return engine.execution_options(**{WRITE_OPTION: True})


class _Turns:
    """The writers' turns on one SQLite database in one event loop."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holder: asyncio.Task[Any] | None = None


# Keyed by the engine's pool (which the engine's option variants share), then by event loop.
_TURNS: weakref.WeakKeyDictionary[Any, weakref.WeakKeyDictionary[Any, _Turns]] = (
    weakref.WeakKeyDictionary()
)


def write_turn(engine: AsyncEngine) -> AbstractAsyncContextManager[Any]:
    """Held around a write transaction: on SQLite, this process's writers one at a time in
    the order they came (see the module docstring); on PostgreSQL, nothing."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    return _turn(engine.sync_engine.pool)


@asynccontextmanager
async def _turn(pool: Any) -> AsyncIterator[None]:
    by_loop = _TURNS.setdefault(pool, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    turns = by_loop.get(loop)
    if turns is None:
        turns = by_loop[loop] = _Turns()
    task = asyncio.current_task()
    if task is not None and turns.holder is task:
        # it could never begin: the outer transaction holds the database until it ends
        raise RuntimeError("a write transaction inside another on the same SQLite database")
    async with turns.lock:
        turns.holder = task
        try:
            yield
        finally:
            turns.holder = None


def one_reader(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (same pool), for reads of one statement each (`ONE_READ_OPTION`)."""
    return engine.execution_options(**{ONE_READ_OPTION: True})


def _install_sqlite_events(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # No implicit BEGIN from the driver: `_on_begin` decides the mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(ONE_READ_OPTION):
            return  # one SELECT in autocommit mode is its own read transaction
        mode = "IMMEDIATE" if options.get(WRITE_OPTION) else "DEFERRED"
        dbapi_connection = connection.connection.dbapi_connection
        if isinstance(dbapi_connection, OneTripConnection):
            # run by the transaction's first statement, in its trip (storage/sqlite_driver.py)
            dbapi_connection.defer_begin(f"BEGIN {mode}")
        else:
            connection.exec_driver_sql(f"BEGIN {mode}")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (a no-op once it is).

    The switch needs a moment of exclusive access and SQLite does not wait for it on the busy
    timeout, so workers creating a new database together retry briefly. This only happens
    while the file is new; the short sleep blocks nothing else at that point.
    """
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
