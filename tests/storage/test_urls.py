"""Database URLs: the forms operators write become the async-driver forms storage uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import Database, DatabaseUnavailable, display_url, to_async_url
from tests.storage.dbs import postgres_url_for


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite:////abs/data/bot.db", "sqlite+aiosqlite:////abs/data/bot.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u:p%40ss@h:5433/db", "postgresql+asyncpg://u:p%40ss@h:5433/db"),
        ("postgresql+asyncpg://u@h/db?ssl=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        ("PostgreSQL://u@h/db", "postgresql+asyncpg://u@h/db"),
        # Managed hosts hand out libpq's sslmode; asyncpg takes the same modes as ssl=.
        ("postgresql://u:pw@h/db?sslmode=require", "postgresql+asyncpg://u:pw@h/db?ssl=require"),
        ("postgres://u@h/db?sslmode=verify-full", "postgresql+asyncpg://u@h/db?ssl=verify-full"),
        (
            "postgresql://u@h/db?target_session_attrs=read-write&sslmode=prefer",
            "postgresql+asyncpg://u@h/db?target_session_attrs=read-write&ssl=prefer",
        ),
        (
            "postgresql://u@h/db?sslmode=require&ssl=require",
            "postgresql+asyncpg://u@h/db?ssl=require",
        ),
        ("sqlite:///x.db?mode=ro", "sqlite+aiosqlite:///x.db?mode=ro"),
    ],
)
def test_to_async_url(given: str, expected: str) -> None:
    assert to_async_url(given) == expected


@pytest.mark.parametrize(
    "bad",
    ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "bot.db", "", "sqlite:x.db"],
)
def test_to_async_url_refuses_what_it_cannot_serve(bad: str) -> None:
    with pytest.raises(ValueError, match=r"URL"):
        to_async_url(bad)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("postgresql://u@h/db?sslmode=sometimes", "sslmode must be one of disable, allow, prefer"),
        ("postgresql://u@h/db?sslmode=require&ssl=disable", "sslmode=require and ssl=disable"),
        ("postgresql://u@h/db?sslmode=require&channel_binding=require", "channel_binding"),
        ("postgresql://u@h/db?sslrootcert=/ca.pem", "PGSSLROOTCERT"),
        ("postgresql://u:pw@h:port/db", "not a valid database URL"),
    ],
)
def test_postgres_urls_asyncpg_cannot_serve_are_refused(bad: str, says: str) -> None:
    with pytest.raises(ValueError) as error:
        to_async_url(bad)
    assert says in str(error.value)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (
            "postgresql://bot:s3cret@db:5432/disputes",
            "postgresql+asyncpg://bot:***@db:5432/disputes",
        ),
        (
            "postgres://bot@db/disputes?sslmode=require",
            "postgresql+asyncpg://bot@db/disputes?ssl=require",
        ),
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
    ],
)
def test_display_url_hides_the_password(given: str, shown: str) -> None:
    assert display_url(given) == shown


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("sslmode", ["disable", "prefer"])
async def test_a_postgres_url_with_sslmode_connects(db_url: str, sslmode: str) -> None:
    db = await Database.connect(f"{db_url}?sslmode={sslmode}", migrate=False)
    try:
        assert await db.ping()
    finally:
        await db.dispose()


async def test_an_unreachable_server_is_named_without_its_password() -> None:
    with pytest.raises(DatabaseUnavailable) as error:
        await Database.connect("postgresql://bot:s3cret@127.0.0.1:1/disputes")
    assert "postgresql+asyncpg://bot:***@127.0.0.1:1/disputes" in str(error.value)
    assert "s3cret" not in str(error.value)


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_a_missing_database_is_named(db_url: str) -> None:
    missing = postgres_url_for("disputebot_test_missing", db_url)
    with pytest.raises(DatabaseUnavailable, match='"disputebot_test_missing" does not exist'):
        await Database.connect(missing)


async def test_a_sqlite_file_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder should be")
    for url in (f"sqlite:///{tmp_path / 'taken' / 'bot.db'}", f"sqlite:///{tmp_path / 'taken'}"):
        with pytest.raises(DatabaseUnavailable, match="cannot open") as error:
            await Database.connect(url)
        assert str(tmp_path / "taken") in str(error.value)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
async def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="in-memory"):
        await Database.connect(url)
