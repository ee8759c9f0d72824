"""Database URLs: turn what an operator writes into the async driver URL storage uses."""

from __future__ import annotations

__all__ = ["is_sqlite", "to_async_url"]

_ASYNC_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def to_async_url(url: str) -> str:
    """The async-driver form of `url`.

    "sqlite:///x.db" -> "sqlite+aiosqlite:///x.db"; "postgresql://..." and "postgres://..."
    -> "postgresql+asyncpg://..."; the async forms pass through unchanged. The rest of the URL
    (user, password, host, query) is kept byte for byte. Anything else raises ValueError.
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        raise ValueError(
            f"not a database URL: {url!r}; expected e.g. sqlite:///data/bot.db "
            "or postgresql://user@host/dbname"
        )
    target = _ASYNC_SCHEMES.get(scheme.lower())
    if target is None:
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}: use sqlite:// (aiosqlite) or "
            "postgresql:// (asyncpg)"
        )
    return f"{target}://{rest}"


def is_sqlite(url: str) -> bool:
    """Whether `url` (any accepted form) names a SQLite database."""
    return to_async_url(url).startswith("sqlite+aiosqlite://")
