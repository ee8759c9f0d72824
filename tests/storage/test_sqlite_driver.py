"""SQLite's one-trip driver (storage/sqlite_driver.py): what a statement returns is what the
stock adapter returned, in one trip to aiosqlite's thread; a read of one statement sends no
BEGIN and its end makes no trip; a write transaction still commits or rolls back as a whole."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine, one_reader, write_turn, writer

_metadata = MetaData()
_things = Table(
    "things",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'driver.db'}")
    async with writer(engine).begin() as conn:
        await conn.run_sync(_metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The name of every call aiosqlite runs in its thread, in order."""
    made: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    yield made


async def test_a_statement_is_one_trip_and_returns_what_the_stock_adapter_did(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with writer(engine).begin() as conn:
        trips.clear()
        result = await conn.execute(insert(_things).values(name="a"))
        assert trips == ["_run"]  # cursor, execute, fetch and close in one call
        assert result.inserted_primary_key == (1,)
        await conn.execute(insert(_things), [{"name": "b"}, {"name": "c"}])  # executemany
        changed = await conn.execute(text("UPDATE things SET name = name || '!' WHERE id > 1"))
        assert changed.rowcount == 2
    async with engine.connect() as conn:
        rows = (await conn.execute(select(_things).order_by(_things.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b!"), (3, "c!")]
        assert (await conn.execute(select(_things).where(_things.c.id == 9))).first() is None


async def test_a_read_of_one_statement_is_one_trip_without_begin(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with writer(engine).begin() as conn:
        await conn.execute(insert(_things).values(name="a"))
    trips.clear()
    async with one_reader(engine).connect() as conn:
        assert await conn.scalar(select(_things.c.name)) == "a"
    assert trips == ["_run"]  # no BEGIN, and no rollback at the end: nothing was begun
    trips.clear()
    async with engine.connect() as conn:  # a read of several statements begins, then ends
        assert await conn.scalar(select(_things.c.name)) == "a"
        assert await conn.scalar(select(_things.c.id)) == 1
    assert trips == ["_run", "_run", "rollback"]  # BEGIN in the first statement's trip


async def test_begin_runs_in_the_first_statements_trip_and_an_empty_transaction_makes_none(
    engine: AsyncEngine, trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, bool]] = []
    original = aiosqlite.core.Connection._execute

    async def watched(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn.__name__ == "_run":  # (connection, begin, operation, ...)
            seen.append((args[1], args[0].in_transaction))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", watched)
    async with writer(engine).begin() as conn:
        await conn.execute(insert(_things).values(name="a"))
        await conn.execute(insert(_things).values(name="b"))
    # the first statement carried BEGIN IMMEDIATE (no transaction open before it), the second
    # ran inside the transaction
    assert seen == [("BEGIN IMMEDIATE", False), (None, True)]
    seen.clear()
    async with engine.connect() as conn:
        assert await conn.scalar(select(_things.c.name).where(_things.c.id == 2)) == "b"
    assert seen == [("BEGIN DEFERRED", False)]
    trips.clear()
    async with writer(engine).begin():
        pass  # nothing run: nothing begun, and the commit makes no trip
    async with engine.connect() as conn:
        await conn.rollback()
    assert trips == []


async def test_a_write_transaction_holds_the_write_lock_from_its_first_statement(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    def rival_begins() -> str:
        rival = sqlite3.connect(tmp_path / "driver.db", timeout=0.05, isolation_level=None)
        try:
            rival.execute("BEGIN IMMEDIATE")
            rival.execute("ROLLBACK")
            return "began"
        except sqlite3.OperationalError as exc:
            return str(exc)
        finally:
            rival.close()

    async with writer(engine).begin() as conn:
        assert await asyncio.to_thread(rival_begins) == "began"  # nothing begun yet
        await conn.execute(insert(_things).values(name="mine"))
        assert await asyncio.to_thread(rival_begins) == "database is locked"
    assert await asyncio.to_thread(rival_begins) == "began"
    async with engine.connect() as conn:
        assert (await conn.execute(select(_things.c.name))).scalars().all() == ["mine"]


async def test_a_failed_write_transaction_leaves_nothing(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with writer(engine).begin() as conn:
            await conn.execute(insert(_things).values(name="lost"))
            raise RuntimeError("after the first statement")
    async with engine.connect() as conn:
        assert await conn.scalar(select(_things.c.id)) is None


async def test_writers_take_turns_without_sqlites_busy_sleeps(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty writers at once, each awaiting something midway: each begins the moment the one
    before it commits, in the order they came. With SQLite's busy timeout at zero, a writer
    that ever met the database locked (and would have slept in the busy handler) fails."""
    monkeypatch.setattr("storage.engine.BUSY_TIMEOUT_MS", 0)
    impatient = create_engine(f"sqlite:///{tmp_path / 'driver.db'}")
    order: list[int] = []

    async def write(i: int) -> None:
        async with write_turn(impatient), writer(impatient).begin() as conn:
            await conn.execute(insert(_things).values(name=str(i)))
            await asyncio.sleep(0.01)
            order.append(i)

    try:
        await asyncio.gather(*(write(i) for i in range(20)))
        async with impatient.connect() as conn:
            assert await conn.scalar(text("PRAGMA busy_timeout")) == 0
    finally:
        await impatient.dispose()
    assert order == list(range(20))
    async with engine.connect() as conn:
        assert len((await conn.execute(select(_things.c.id))).all()) == 20


async def test_a_write_inside_a_write_is_refused_not_left_waiting(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError, match="inside another"):
        async with write_turn(engine), writer(engine).begin() as conn:
            await conn.execute(insert(_things).values(name="outer"))
            async with write_turn(engine):
                pass

    async def later() -> None:  # another task waits its turn instead
        async with write_turn(engine), writer(engine).begin() as conn:
            await conn.execute(insert(_things).values(name="other task"))

    async with write_turn(engine), writer(engine).begin() as conn:
        await conn.execute(insert(_things).values(name="first"))
        task = asyncio.create_task(later())
        await asyncio.sleep(0.05)
        assert not task.done()
    await task
    async with engine.connect() as conn:
        names = (await conn.execute(select(_things.c.name).order_by(_things.c.id))).scalars()
        assert names.all() == ["first", "other task"]
