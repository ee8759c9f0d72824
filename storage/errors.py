"""Errors the storage layer raises; callers catch these, never driver exceptions."""

from __future__ import annotations

from flows.rules.lifecycle import IllegalTransition

__all__ = [
    "ConcurrentUpdate",
    "Conflict",
    "DatabaseUnavailable",
    "DuplicateEvidence",
    "IllegalTransition",
    "NotFound",
    "StorageError",
    "TokenInvalid",
]


class StorageError(Exception):
    """Base class of every error raised by `storage`."""


class DatabaseUnavailable(StorageError):
    """The database cannot be opened: no server answers, the server refuses (unknown
    database, role or password), or a SQLite file cannot be created. The message names the
    database without its password and says why."""


class NotFound(StorageError):
    """The row the caller names does not exist."""


class ConcurrentUpdate(StorageError):
    """Someone else changed the row first (a compare-and-set found another version)."""


class Conflict(StorageError):
    """The row exists but its state does not allow the change (e.g. evidence already stored)."""


class DuplicateEvidence(Conflict):
    """The file (by its SHA-256) is already evidence of the case, as item `number`."""

    def __init__(self, case_id: int, number: int) -> None:
        super().__init__(f"the file is already evidence E{number} of case {case_id}")
        self.case_id = case_id
        self.number = number


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
