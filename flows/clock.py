"""The injectable clock: every "now" in the bot comes from here, so deadlines are testable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...

    def timestamp(self) -> float:
        """Unix time: what a Bot API server (the sandbox) shares with the bot."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def timestamp(self) -> float:
        return self.now().timestamp()


class FrozenClock:
    """A clock that only moves when told to; for tests and the demo."""

    def __init__(self, start: datetime | None = None) -> None:
        """Frozen at `start`, or at the wall clock's current minute."""
        self._now = start or datetime.now(UTC).replace(second=0, microsecond=0)

    def now(self) -> datetime:
        return self._now

    def timestamp(self) -> float:
        return self._now.timestamp()

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when
