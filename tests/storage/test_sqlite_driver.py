"""SQLite's one-trip driver (storage/sqlite_driver.py): what a statement returns is what the
stock adapter returned, in one trip to aiosqlite's thread; a read of one statement sends no
BEGIN and its end makes no trip; a write transaction still commits or rolls back as a whole."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine, one_reader, writer

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
    assert trips == ["_run", "_run", "rollback"]


async def test_a_failed_write_transaction_leaves_nothing(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with writer(engine).begin() as conn:
            await conn.execute(insert(_things).values(name="lost"))
            raise RuntimeError("after the first statement")
    async with engine.connect() as conn:
        assert await conn.scalar(select(_things.c.id)) is None
