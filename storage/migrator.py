"""Applying the Alembic migrations in `storage/migrations`, from inside a running event loop.

No alembic.ini is needed: the Alembic `Config` is built in code. Alembic's API is synchronous,
so it runs on a connection of the async engine through `run_sync`; the whole upgrade is one
transaction. Several workers starting at once take turns: PostgreSQL through an advisory lock,
SQLite through its write lock.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import connect_engine, write_turn, writer

__all__ = ["MIGRATIONS_DIR", "alembic_config", "migrate", "run_migrations"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK_KEY = 0x6469_7370_7574_65  # "dispute": any constant shared by all workers


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for storage's migrations, optionally bound to `connection`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


async def run_migrations(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind `engine` to `revision` in one transaction."""
    async with write_turn(engine), writer(engine).begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
            )
        else:
            # SQLite begins with the first statement (storage/sqlite_driver.py): take the write
            # lock now, so that another worker's upgrade waits here, before Alembic starts
            # (two of its upgrades in one process at once trip over its module globals)
            await conn.execute(text("SELECT 1"))
        await conn.run_sync(_upgrade, revision)


async def migrate(url: str) -> None:
    """Bring the database at `url` up to the newest schema (safe to call when it already is).

    `DatabaseUnavailable` when the database cannot be reached or created.
    """
    engine = await connect_engine(url)
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()
