"""Fixtures: every storage test runs on SQLite (a temp file) and on PostgreSQL (a fresh database).

The PostgreSQL variants skip with the reason when no server answers, except under CI=true,
where they fail: CI must test both databases.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from storage import Database, migrate
from tests.storage.dbs import (
    create_postgres_database,
    drop_postgres_database,
    empty_postgres_database,
    fresh_postgres_url,
    in_ci,
    postgres_admin_url,
    postgres_unavailable_reason,
    postgres_url_for,
    sqlite_url,
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to the end on a loop of its own, even while a test's loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass(frozen=True)
class PostgresServer:
    """The test server: where it is and this run's database, or why it is unusable."""

    admin_url: str
    run_database: str | None  # migrated once, emptied before each test
    unavailable: str | None

    @property
    def run_url(self) -> str:
        assert self.run_database is not None
        return postgres_url_for(self.run_database, self.admin_url)


async def _migrated_database(admin_url: str) -> str:
    name = await create_postgres_database(admin_url)
    db = await Database.connect(postgres_url_for(name, admin_url))
    await db.dispose()
    return name


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Checked once per run. The run gets a database of its own, so runs never meet."""
    admin = postgres_admin_url()
    reason = _run(postgres_unavailable_reason(admin))
    if reason is not None:
        yield PostgresServer(admin, None, reason)
        return
    name = _run(_migrated_database(admin))
    try:
        yield PostgresServer(admin, name, None)
    finally:
        _run(drop_postgres_database(name, admin))


def _require(server: PostgresServer) -> None:
    if server.unavailable is None:
        return
    if in_ci():
        pytest.fail(f"CI=true but PostgreSQL is unusable: {server.unavailable}")
    pytest.skip(server.unavailable)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "bot.db"
    _run(migrate(sqlite_url(path.parent, path.name)))
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test: "sqlite" or "postgresql"."""
    return str(request.param)


@pytest.fixture
async def empty_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A URL to a database with no schema at all."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "data")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    _require(server)
    async with fresh_postgres_url(server.admin_url) as url:
        yield url


@pytest.fixture
async def db_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A URL to a migrated database with no rows (PostgreSQL: this run's, emptied)."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "bot.db")
        yield sqlite_url(tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    _require(server)
    await empty_postgres_database(server.run_url)
    yield server.run_url


@pytest.fixture
async def private_db_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A database nobody else uses, for tests that change the schema itself (empty until
    `Database.connect` migrates it)."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    _require(server)
    async with fresh_postgres_url(server.admin_url) as url:
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A connected `Database` on a migrated database (test_migrations covers migrating)."""
    database = await Database.connect(db_url, migrate=False)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def other_worker(db: Database, db_url: str) -> AsyncIterator[Database]:
    """A second `Database` on the same data with its own engine: another worker process."""
    database = await Database.connect(db_url, migrate=False)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def now() -> datetime:
    """A fixed "now"; tests move it explicitly."""
    return datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
