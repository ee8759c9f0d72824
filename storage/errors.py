"""Errors the storage layer raises; callers catch these, never driver exceptions."""

from __future__ import annotations

from flows.rules.lifecycle import IllegalTransition

__all__ = [
    "ConcurrentUpdate",
    "Conflict",
    "IllegalTransition",
    "NotFound",
    "StorageError",
    "TokenInvalid",
]


class StorageError(Exception):
    """Base class of every error raised by `storage`."""


class NotFound(StorageError):
    """The row the caller names does not exist."""


class ConcurrentUpdate(StorageError):
    """Someone else changed the row first (a compare-and-set found another version)."""


class Conflict(StorageError):
    """The row exists but its state does not allow the change (e.g. evidence already stored)."""


class TokenInvalid(StorageError):
    """An invitation token cannot be used; `reason` says why.

    One of "unknown", "expired", "used", "revoked", "wrong_purpose".
    """

    REASONS = frozenset({"unknown", "expired", "used", "revoked", "wrong_purpose"})

    def __init__(self, reason: str) -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown TokenInvalid reason {reason!r}")
        super().__init__(f"token invalid: {reason}")
        self.reason = reason
