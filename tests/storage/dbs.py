"""Fresh databases for tests: a SQLite file, or a throwaway PostgreSQL database.

Reusable outside the storage suite (end-to-end tests import these):

    url = sqlite_url(tmp_path)
    reason = await postgres_unavailable_reason()      # None when PostgreSQL answers
    async with fresh_postgres_url() as url:           # CREATE DATABASE ..., DROP at the end
        db = await Database.connect(url)
    await empty_postgres_database(url)                # between tests: delete every row

The PostgreSQL server comes from $DISPUTEBOT_TEST_POSTGRES_URL (an admin connection that may
create databases), by default postgresql://postgres@127.0.0.1:5432/test. Every database made
here is named disputebot_test_<random>, so parallel runs never meet. With CI=true a missing
server is an error, not a skip (`require_postgres`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from storage.tables import metadata

__all__ = [
    "ADMIN_URL_ENV",
    "DEFAULT_ADMIN_URL",
    "create_postgres_database",
    "drop_postgres_database",
    "empty_postgres_database",
    "fresh_postgres_url",
    "in_ci",
    "postgres_admin_url",
    "postgres_unavailable_reason",
    "postgres_url_for",
    "sqlite_url",
]

ADMIN_URL_ENV = "DISPUTEBOT_TEST_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
DATABASE_PREFIX = "disputebot_test_"


def in_ci() -> bool:
    """Whether this is a CI run, where both databases must be tested."""
    return os.environ.get("CI", "").strip().lower() == "true"


def sqlite_url(directory: Path, name: str = "bot.db") -> str:
    """A URL for a SQLite file in `directory` (the file is created on first connect)."""
    return f"sqlite:///{directory / name}"


def postgres_admin_url() -> str:
    """The admin connection used to create and drop test databases."""
    return os.environ.get(ADMIN_URL_ENV) or DEFAULT_ADMIN_URL


def _dsn(url: str) -> str:
    """`url` in the plain form asyncpg understands."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_url_for(database: str, admin_url: str | None = None) -> str:
    """The URL of `database` on the admin URL's server, with the same credentials."""
    admin = admin_url or postgres_admin_url()
    return make_url(admin).set(database=database).render_as_string(hide_password=False)


async def usable_postgres_admin() -> str:
    """The admin URL of a PostgreSQL server the tests may use: the test is skipped without
    one, and fails under CI=true, where both databases must be tested."""
    admin = postgres_admin_url()
    reason = await postgres_unavailable_reason(admin)
    if reason is not None:
        if in_ci():
            pytest.fail(f"CI=true but PostgreSQL is unusable: {reason}")
        pytest.skip(reason)
    return admin


async def postgres_unavailable_reason(admin_url: str | None = None) -> str | None:
    """None when the server answers and lets us create databases; otherwise why not."""
    admin = admin_url or postgres_admin_url()
    try:
        conn = await asyncpg.connect(_dsn(admin), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {admin} (set ${ADMIN_URL_ENV}): {exc!r}"
    try:
        allowed = await conn.fetchval(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
        )
    finally:
        await conn.close()
    if not allowed:
        return f"the role of {admin} may not create databases"
    return None


async def create_postgres_database(
    admin_url: str | None = None, *, template: str | None = None
) -> str:
    """Create a database with a fresh random name (copied from `template` if given).

    Test data need no durability: the database commits without waiting for the disk
    (synchronous_commit off, for this database only), which makes tests several times faster.
    """
    name = DATABASE_PREFIX + secrets.token_hex(6)
    conn = await asyncpg.connect(_dsn(admin_url or postgres_admin_url()), timeout=10)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    return name


async def drop_postgres_database(name: str, admin_url: str | None = None) -> None:
    """Drop a database made by `create_postgres_database`, closing leftover sessions."""
    if not name.startswith(DATABASE_PREFIX):
        raise ValueError(f"refusing to drop {name!r}: not a test database")
    conn = await asyncpg.connect(_dsn(admin_url or postgres_admin_url()), timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_postgres_url(
    admin_url: str | None = None, *, template: str | None = None
) -> AsyncIterator[str]:
    """A URL to a brand-new PostgreSQL database, dropped when the block ends."""
    admin = admin_url or postgres_admin_url()
    name = await create_postgres_database(admin, template=template)
    try:
        yield postgres_url_for(name, admin)
    finally:
        await drop_postgres_database(name, admin)


async def empty_postgres_database(url: str) -> None:
    """Delete every row of storage's tables (the schema and migration stamp stay), leaving
    the case-number counter at 0 as migration 0008 seeds it.

    Much faster than a new database per test. The append-only triggers of the history are
    switched off for the deletion and on again in the same transaction. Fails after a few
    seconds instead of hanging when another session still holds a table.
    """
    conn = await asyncpg.connect(_dsn(url), timeout=10)
    try:
        async with conn.transaction():
            # One round trip for all of it (a simple query may hold several statements):
            # this runs before every PostgreSQL storage test.
            await conn.execute(_EMPTYING)
    finally:
        await conn.close()


_EMPTYING = ";\n".join(
    [
        "SET LOCAL lock_timeout = '5s'",
        "ALTER TABLE history_events DISABLE TRIGGER USER",
        *(f'DELETE FROM "{table.name}"' for table in reversed(metadata.sorted_tables)),
        # The migration's seed row, as a new database has it: numbering starts at #1.
        "INSERT INTO counters (name, value) VALUES ('case_number', 0)",
        "ALTER TABLE history_events ENABLE TRIGGER USER",
    ]
)
