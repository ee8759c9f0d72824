"""Fault injection: make chosen Bot API requests fail with 400, 403, 429, 5xx or a dropped
connection.

``sandbox.faults.inject(method="sendMessage", kind="429", retry_after=1, times=1)`` makes the
next matching request fail; faulted requests do not take effect. ``chat_id`` narrows a fault to
one chat and ``after`` lets that many matching requests through first, so "the third
sendMessage to the group fails with 400" is ``inject("sendMessage", "400", chat_id=group.id,
after=2)``. The optional per-chat rate limit (``sandbox.rate_limit_per_chat``) is separate and
off by default.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import ApiError

__all__ = ["DropConnection", "Fault", "Faults", "RateLimiter"]

KINDS = ("400", "403", "429", "500", "502", "drop")
# What Telegram says for each kind unless the test gives its own reason (the part after
# "Bad Request: " / "Forbidden: ").
DEFAULT_REASONS = {
    "400": "message can't be sent",
    "403": "bot was blocked by the user",
}


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
    after: int = 0  # matching requests let through before the fault fires
    reason: str | None = None  # the description of a 400 / 403, after its prefix
    passed: int = 0

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this fault applies to a request."""
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id

    def error(self) -> Exception:
        """The exception that answers the faulted request."""
        if self.kind == "400":
            return ApiError(400, f"Bad Request: {self.reason or DEFAULT_REASONS['400']}")
        if self.kind == "403":
            return ApiError(403, f"Forbidden: {self.reason or DEFAULT_REASONS['403']}")
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
        after: int = 0,
        reason: str | None = None,
    ) -> Fault:
        """Fail the next ``times`` matching requests (None: until cleared), once ``after``
        matching requests have gone through. method=None: any method; chat_id=None: any chat."""
        if kind not in KINDS:
            raise ValueError(f"fault kind must be one of {KINDS}, got {kind!r}")
        if after < 0:
            raise ValueError(f"after must be 0 or more, got {after}")
        if reason is not None and kind not in DEFAULT_REASONS:
            raise ValueError(f"only {tuple(DEFAULT_REASONS)} faults take a reason")
        fault = Fault(kind, method, chat_id, retry_after, times, after=after, reason=reason)
        self.active.append(fault)
        return fault

    def clear(self) -> None:
        """Remove all faults."""
        self.active.clear()

    def take(self, method: str, params: dict[str, Any]) -> Exception | None:
        """The error for this request if a fault applies (and count it)."""
        for fault in self.active:
            if not fault.matches(method, params):
                continue
            if fault.passed < fault.after:
                fault.passed += 1
                continue
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
