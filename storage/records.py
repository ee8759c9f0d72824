"""The records storage hands out: frozen dataclasses, every datetime timezone-aware UTC.

Records are plain values. They carry no database handle, so flows can pass them around and
render them without touching SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.rules.lifecycle import CaseFacts, CaseState, DeadlineKind, Role

__all__ = [
    "Case",
    "Deadline",
    "DeadlineStatus",
    "Draft",
    "Evidence",
    "HistoryEvent",
    "InviteToken",
    "NewDeadline",
    "User",
    "VerifyResult",
]


class DeadlineStatus:
    """The values of `Deadline.status` (plain strings in the database)."""

    PENDING = "pending"  # running; may still fire or send reminders
    MET = "met"  # the step was done in time (closed by a transition)
    CANCELLED = "cancelled"  # no longer relevant (case withdrawn, closed, ...)
    FIRED = "fired"  # the due time passed and a worker claimed it

    ALL = frozenset({PENDING, MET, CANCELLED, FIRED})
    CLOSING = frozenset({MET, CANCELLED, FIRED})


@dataclass(frozen=True)
class User:
    """A Telegram user the bot has seen. `id` is the Telegram user id."""

    id: int
    first_name: str
    username: str | None
    telegram_language: str | None  # what Telegram reports for the client
    language: str | None  # the user's explicit choice; None until they choose
    timezone: str | None  # IANA name, e.g. "Asia/Shanghai"; None until known
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Case:
    """A dispute from the first draft to closing. `version` grows with every state change."""

    id: int
    buyer_id: int
    supplier_id: int | None
    state: CaseState
    previous_state: CaseState | None
    claim: dict[str, Any]
    category: str | None
    created_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    last_activity_at: datetime
    version: int

    @property
    def number(self) -> int:
        """The case number people quote; display formatting belongs to the renderer."""
        return self.id

    @property
    def facts(self) -> CaseFacts:
        """What the lifecycle guards need to know about this case."""
        return CaseFacts(
            state=self.state,
            previous_state=self.previous_state,
            submitted_at=self.submitted_at,
            closed_at=self.closed_at,
        )


@dataclass(frozen=True)
class Draft:
    """The claim form's progress, so a restart mid-form loses nothing."""

    case_id: int
    user_id: int
    step: str
    answers: dict[str, Any]
    back_stack: list[str]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class Evidence:
    """One evidence item, numbered E1, E2, ... within its case."""

    id: int
    case_id: int
    number: int
    submitter_id: int
    submitter_role: Role
    kind: str  # "photo", "document", "video", "voice", "statement"
    label: str
    tag: str
    text: str | None  # the statement's text for kind "statement"
    telegram_file_id: str | None
    telegram_file_unique_id: str | None
    file_name: str | None
    mime_type: str | None
    size: int | None
    sha256: str | None  # set once the file is stored
    stored_path: str | None
    mediator_only: bool
    created_at: datetime
    stored_at: datetime | None
    removed_at: datetime | None = None  # removed while still a draft item; hidden from lists


@dataclass(frozen=True)
class NewDeadline:
    """A deadline to start, e.g. as part of a transition."""

    kind: DeadlineKind
    started_at: datetime
    due_at: datetime
    reminder_times: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class Deadline:
    """A deadline row: when a step is due and when reminders go out."""

    id: int
    case_id: int
    kind: DeadlineKind
    started_at: datetime
    due_at: datetime
    status: str  # see DeadlineStatus
    next_reminder_at: datetime | None
    reminders_sent: int
    reminder_times: list[datetime]
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class HistoryEvent:
    """One entry of a case's append-only, hash-chained history."""

    id: int
    case_id: int
    seq: int
    actor_id: int | None
    actor_role: Role
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking a case's hash chain."""

    ok: bool
    count: int
    first_bad_seq: int | None


@dataclass(frozen=True)
class InviteToken:
    """A single-use opaque token carried in a Telegram deep link."""

    token: str
    case_id: int
    purpose: str
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None
