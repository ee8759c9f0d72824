"""Database URLs: the forms operators write become the async-driver forms storage uses."""

from __future__ import annotations

import pytest

from storage import Database, to_async_url


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


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
async def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="in-memory"):
        await Database.connect(url)
