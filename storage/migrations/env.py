"""Alembic environment: runs the migrations on the connection `storage.migrator` hands over.

Used without a connection (the plain `alembic` command with `sqlalchemy.url` set), it opens its
own async engine for that URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from storage.engine import create_engine, writer
from storage.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    # SQLite's DDL is transactional too: one failed step undoes the whole upgrade.
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with writer(engine).begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def _main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection handed over and no sqlalchemy.url configured")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_with_own_engine(url))


_main()
