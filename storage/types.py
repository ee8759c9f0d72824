"""Column types that behave the same on SQLite and PostgreSQL.

`UTCDateTime` stores aware datetimes as UTC and hands them back aware (SQLite keeps no zone,
so naive values read back are UTC by construction). `JSONDocument` stores JSON with the
conversions the hash chain uses (Decimal and datetime as strings), so what is read back is
exactly what was hashed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import JSON, DateTime, TypeDecorator

__all__ = ["JSONDocument", "UTCDateTime", "json_default", "normalise_json", "to_utc"]


def to_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime; naive values are refused, never guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: storage needs timezone-aware datetimes")
    return value.astimezone(UTC)


def json_default(value: object) -> str:
    """How JSON documents spell values the json module does not know."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return to_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON column")


def normalise_json(value: Any) -> Any:
    """`value` as it will come back from a JSON column (tuples become lists, Decimals strings)."""
    return json.loads(json.dumps(value, default=json_default, ensure_ascii=False, allow_nan=False))


class UTCDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that only accepts aware values and always returns UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = to_utc(value)
        # SQLite's DATETIME drops the zone; strip it ourselves so the text is plain UTC and
        # sorts correctly as a string.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONDocument(TypeDecorator[Any]):
    """`JSON` whose stored value is normalised the same way the history hashes it."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else normalise_json(value)
