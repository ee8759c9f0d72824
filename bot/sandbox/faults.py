"""Fault injection: make chosen Bot API requests fail with 429, 5xx or a dropped connection.

``sandbox.faults.inject(method="sendMessage", kind="429", retry_after=1, times=1)`` makes the
next matching request fail; faulted requests do not take effect. The optional per-chat rate
limit (``sandbox.rate_limit_per_chat``) is separate and off by default.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import ApiError

__all__ = ["DropConnection", "Fault", "Faults", "RateLimiter"]

KINDS = ("429", "500", "502", "drop")


class DropConnection(Exception):
    """Close the connection without answering."""


@dataclass
class Fault:
    """One injected fault."""

    kind: str
    method: str | None = None
    chat_id: int | None = None
    retry_after: int = 1
    times: int | None = 1
    fired: int = 0

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this fault applies to a request."""
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id

    def error(self) -> Exception:
        """The exception that answers the faulted request."""
        if self.kind == "429":
            return ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )
        if self.kind == "500":
            return ApiError(500, "Internal Server Error")
        if self.kind == "502":
            return ApiError(502, "Bad Gateway")
        return DropConnection()


class Faults:
    """The injected faults, consumed in order."""

    def __init__(self) -> None:
        self.active: list[Fault] = []
        self.fired: list[tuple[str, str]] = []  # (method, kind)

    def inject(
        self,
        method: str | None = None,
        kind: str = "429",
        *,
        retry_after: int = 1,
        times: int | None = 1,
        chat_id: int | None = None,
    ) -> Fault:
        """Fail the next ``times`` matching requests (None: until cleared). method=None: any."""
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, got {kind!r}")
        fault = Fault(kind, method, chat_id, retry_after, times)
        self.active.append(fault)
        return fault

    def clear(self) -> None:
        """Remove all faults."""
        self.active.clear()

    def take(self, method: str, params: dict[str, Any]) -> Exception | None:
        """The error for this request if a fault applies (and count it)."""
        for fault in self.active:
            if fault.matches(method, params):
                fault.fired += 1
                if fault.times is not None and fault.fired >= fault.times:
                    self.active.remove(fault)
                self.fired.append((method, fault.kind))
                return fault.error()
        return None


class RateLimiter:
    """Telegram-like flood limits per chat: about 1 message/s in private chats (bursts of 3)
    and 20 messages/minute in groups."""

    def __init__(self) -> None:
        self._sent: dict[int, list[float]] = defaultdict(list)

    def check(self, chat_id: int, is_group: bool, now: float) -> None:
        """Raise 429 when this chat is over its limit; otherwise count the message."""
        window, limit = (60.0, 20) if is_group else (1.0, 3)
        recent = [t for t in self._sent[chat_id] if now - t < window]
        self._sent[chat_id] = recent
        if len(recent) >= limit:
            retry_after = max(int(window - (now - recent[0])) + 1, 1)
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        recent.append(now)
