"""Migrations: they run inside an event loop, are idempotent and build exactly `tables.py`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from flows.rules.lifecycle import Action, Role
from storage import Database, migrate
from storage.engine import create_engine
from storage.migrator import alembic_config, run_migrations
from storage.tables import metadata
from tests.storage.factory import claim


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_migrated_schema_matches_metadata(empty_url: str) -> None:
    await migrate(empty_url)
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert set(metadata.tables) <= tables
    assert tables - set(metadata.tables) == {"alembic_version"}


async def test_migrate_is_idempotent_and_reaches_head(empty_url: str) -> None:
    await migrate(empty_url)
    await migrate(empty_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = create_engine(empty_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_current_revision) == head
    finally:
        await engine.dispose()


async def test_workers_starting_together_migrate_once(empty_url: str) -> None:
    await asyncio.gather(*(migrate(empty_url) for _ in range(3)))
    db = await Database.connect(empty_url)
    try:
        assert await db.ping()
    finally:
        await db.dispose()


async def test_downgrade_to_base_and_back(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        await run_migrations(engine)
        await _downgrade(engine)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables & set(metadata.tables) == set()
        await run_migrations(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diffs) == []
    finally:
        await engine.dispose()


async def _downgrade(engine: Any) -> None:
    from alembic import command

    from storage.engine import writer

    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), "base")

    async with writer(engine).begin() as conn:
        await conn.run_sync(run)


async def test_upgrade_from_0001_keeps_the_data(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        await run_migrations(engine, "0001")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, first_name, created_at, updated_at)"
                    " VALUES (1, 'Bea', :t, :t)"
                ),
                {"t": datetime(2026, 11, 1, tzinfo=UTC)},
            )
            await conn.execute(
                text(
                    "INSERT INTO cases (buyer_id, state, claim, created_at, updated_at,"
                    " last_activity_at, version) VALUES (1, 'draft', '{}', :t, :t, :t, 1)"
                ),
                {"t": datetime(2026, 11, 1, tzinfo=UTC)},
            )
    finally:
        await engine.dispose()
    db = await Database.connect(empty_url)
    try:
        [case] = await db.cases.list_for_user(1)
        assert (case.state.value, case.mediator_id) == ("draft", None)
        assert await db.chats.for_case(case.id) is None
        assert await db.proposals.list(case.id) == []
    finally:
        await db.dispose()


async def test_upgrade_to_0005_keeps_the_supplier_clock_of_cases_filed_before(
    empty_url: str,
) -> None:
    """Cases filed before 0005 had their supplier's clock started at filing: it stays so."""
    engine = create_engine(empty_url)
    filed, drafted = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    try:
        await run_migrations(engine, "0002")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, first_name, created_at, updated_at)"
                    " VALUES (1, 'Bea', :t, :t)"
                ),
                {"t": filed},
            )
            for state, submitted in (("awaiting_supplier", filed), ("draft", None)):
                await conn.execute(
                    text(
                        "INSERT INTO cases (buyer_id, state, claim, created_at, submitted_at,"
                        " updated_at, last_activity_at, version)"
                        " VALUES (1, :state, '{}', :t, :submitted, :t, :t, 1)"
                    ),
                    {"state": state, "submitted": submitted, "t": drafted},
                )
    finally:
        await engine.dispose()
    db = await Database.connect(empty_url)
    try:
        cases = {c.state.value: c for c in await db.cases.list_for_user(1)}
        assert cases["awaiting_supplier"].invited_at == filed
        assert cases["draft"].invited_at is None
        assert {c.closed_reason for c in cases.values()} == {None}
    finally:
        await db.dispose()


async def test_connect_without_migrate_leaves_database_empty(empty_url: str) -> None:
    db = await Database.connect(empty_url, migrate=False)
    try:
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables == set()
    finally:
        await db.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(
    tmp_path: Path, backend: str
) -> None:
    target = tmp_path / "nested" / "dir" / "bot.db"
    db = await Database.connect(f"sqlite:///{target}")
    try:
        assert target.exists()
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one() >= 1000
    finally:
        await db.dispose()


async def test_upgrade_from_0002_keeps_invitations_live(empty_url: str) -> None:
    engine = create_engine(empty_url)
    t = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        await run_migrations(engine, "0002")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, first_name, created_at, updated_at)"
                    " VALUES (1, 'Bea', :t, :t)"
                ),
                {"t": t},
            )
            await conn.execute(
                text(
                    "INSERT INTO cases (buyer_id, state, claim, created_at, updated_at,"
                    " last_activity_at, version)"
                    " VALUES (1, 'awaiting_supplier', '{}', :t, :t, :t, 1)"
                ),
                {"t": t},
            )
            await conn.execute(
                text(
                    "INSERT INTO invite_tokens (token, case_id, purpose, created_by, created_at,"
                    " expires_at) VALUES ('tok', 1, 'supplier_invite', 1, :t, :e)"
                ),
                {"t": t, "e": t.replace(day=8)},
            )
    finally:
        await engine.dispose()
    db = await Database.connect(empty_url)
    try:
        token = await db.tokens.get("tok")
        assert token is not None and token.revoked_at is None and token.live(t)
        assert await db.chat_links.list(1) == []
    finally:
        await db.dispose()


async def test_upgrade_from_0007_numbers_the_filed_cases_in_filing_order(empty_url: str) -> None:
    """0008: filed cases are numbered 1, 2, ... in filing order, drafts (open or closed
    unfiled) get none, and the next filing continues the sequence."""
    engine = create_engine(empty_url)
    day = datetime(2026, 11, 20, tzinfo=UTC)
    # (state, drafted, filed): ids in drafting order; filing order differs
    rows = [
        ("awaiting_supplier", day, day.replace(hour=5)),  # id 1, filed second
        ("closed", day.replace(hour=1), None),  # id 2, a draft that expired
        ("negotiation", day.replace(hour=2), day.replace(hour=3)),  # id 3, filed first
        ("draft", day.replace(hour=4), None),  # id 4, still a draft
        ("closed", day.replace(hour=6), day.replace(hour=7)),  # id 5, filed third, closed
    ]
    try:
        await run_migrations(engine, "0007")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, first_name, created_at, updated_at)"
                    " VALUES (1, 'Bea', :t, :t)"
                ),
                {"t": day},
            )
            for state, drafted, filed in rows:
                await conn.execute(
                    text(
                        "INSERT INTO cases (buyer_id, state, claim, created_at, submitted_at,"
                        " updated_at, last_activity_at, version)"
                        " VALUES (1, :state, '{}', :t, :filed, :t, :t, 1)"
                    ),
                    {"state": state, "filed": filed, "t": drafted},
                )
    finally:
        await engine.dispose()
    db = await Database.connect(empty_url)
    try:
        cases = await db.cases.list_for_user(1, include_closed_drafts=True)
        numbers = {case.id: case.number for case in cases}
        assert numbers == {1: 2, 2: None, 3: 1, 4: None, 5: 3}
        draft = await db.cases.get(4)
        assert draft is not None
        filed = await db.cases.transition(
            4, Action.SUBMIT, 1, Role.BUYER, day.replace(hour=8), claim=claim(product="Tea")
        )
        assert filed.number == 4
        assert await db.cases.by_number(4) == filed
    finally:
        await db.dispose()
