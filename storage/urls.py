"""Database URLs: turn what an operator writes into the async driver URL storage uses.

Managed PostgreSQL hosts hand out libpq URLs (`?sslmode=require`). asyncpg takes the same modes
under another name (`ssl=`), and SQLAlchemy passes every query parameter to `asyncpg.connect`
as a keyword, so a parameter asyncpg does not know fails at the first connection with a
TypeError. `to_async_url` maps `sslmode` and refuses what asyncpg cannot take, with the reason,
before anything connects. `display_url` is the form for logs and messages: no password.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["SSL_MODES", "display_url", "is_sqlite", "to_async_url"]

_ASYNC_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

# libpq's sslmode values; asyncpg's `ssl` accepts each of them as a string.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

# Query parameters that reach asyncpg.connect as text and work there (host/port: SQLAlchemy's
# multi-host and Unix-socket forms). Anything else would fail at the first connection.
_POSTGRES_PARAMS = frozenset(
    {"host", "port", "ssl", "target_session_attrs", "prepared_statement_cache_size", "passfile"}
)
# libpq file options asyncpg reads from the environment only.
_SSL_FILE_PARAMS = frozenset({"sslrootcert", "sslcert", "sslkey", "sslcrl"})

_EXAMPLES = "e.g. sqlite:///data/bot.db or postgresql://user:password@host:5432/dbname"


def to_async_url(url: str) -> str:
    """The async-driver form of `url`.

    "sqlite:///x.db" -> "sqlite+aiosqlite:///x.db"; "postgresql://..." and "postgres://..."
    -> "postgresql+asyncpg://..."; the async forms pass through unchanged. For PostgreSQL,
    `sslmode=<mode>` becomes `ssl=<mode>`; the rest of the URL (user, password, host, other
    parameters) is kept byte for byte. Anything asyncpg or aiosqlite cannot serve raises
    ValueError with the reason (never the URL itself: it may hold a password).
    """
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        raise ValueError(f"not a database URL; expected {_EXAMPLES}")
    target = _ASYNC_SCHEMES.get(scheme.lower())
    if target is None:
        raise ValueError(
            f"unsupported database URL scheme {scheme!r}: use sqlite:// (aiosqlite) or "
            "postgresql:// (asyncpg)"
        )
    async_url = f"{target}://{rest}"
    try:
        make_url(async_url)
    except (ArgumentError, ValueError):
        raise ValueError(f"not a valid database URL; expected {_EXAMPLES}") from None
    if target == "postgresql+asyncpg":
        async_url = _postgres_query(async_url)
    return async_url


def _postgres_query(url: str) -> str:
    """`url` with `sslmode` mapped to `ssl`; refuses parameters asyncpg would choke on."""
    base, sep, query = url.partition("?")
    if not sep:
        return url
    pairs = parse_qsl(query, keep_blank_values=True)
    sslmode = [value for key, value in pairs if key == "sslmode"]
    ssl = [value for key, value in pairs if key == "ssl"]
    for mode in sslmode + ssl:
        if mode not in SSL_MODES:
            raise ValueError(f"sslmode must be one of {', '.join(SSL_MODES)}, not {mode!r}")
    if len(set(sslmode + ssl)) > 1:
        given = " and ".join([f"sslmode={m}" for m in sslmode] + [f"ssl={m}" for m in ssl])
        raise ValueError(f"{given} contradict each other; give one")
    for key, _ in pairs:
        if key in _SSL_FILE_PARAMS:
            raise ValueError(
                f"{key} cannot be given in the URL with asyncpg; set PG{key.upper()} in the "
                "environment instead"
            )
        if key != "sslmode" and key not in _POSTGRES_PARAMS:
            raise ValueError(
                f"the URL parameter {key!r} is not supported with asyncpg; supported: "
                f"sslmode, {', '.join(sorted(_POSTGRES_PARAMS))}"
            )
    if not sslmode:
        return url
    kept, mapped = [], False
    for key, value in pairs:
        if key in ("sslmode", "ssl"):
            if mapped:
                continue
            key, mapped = "ssl", True
        kept.append((key, value))
    return f"{base}?{urlencode(kept)}"


def display_url(url: str) -> str:
    """`url` in its async form with the password replaced by ***, for logs and messages."""
    try:
        return make_url(to_async_url(url)).render_as_string(hide_password=True)
    except ValueError:
        return "(an unreadable database URL)"


def is_sqlite(url: str) -> bool:
    """Whether `url` (any accepted form) names a SQLite database."""
    return to_async_url(url).startswith("sqlite+aiosqlite://")
