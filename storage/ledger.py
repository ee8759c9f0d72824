"""The update ledger: which Telegram updates were handled, recorded with their effects.

Telegram delivers an update again when the bot did not confirm it (killed after handling it,
before the next getUpdates). Handled twice, a claim-form answer would land on the next question
and a group message would enter the append-only record twice. So the handler of an update sets
`handling(...)` (a context variable: PTB handles each update in a task of its own), and the
first write transaction of that update inserts the `handled_updates` row in the same
transaction as its effects (`storage.repos.base.Repo._write`). A second copy of the update is
skipped up front (`UpdateRepo.handled`); one that slips past that check (two workers at once)
finds the row already there, and its write is rolled back with `UpdateAlreadyHandled`.

Updates that change nothing in the database (/help, a list) leave no row: handling them again
only repeats an answer, which is harmless.

The entry also collects the cases whose rows the update's writes touched (`touch_case`): the
pass that takes buttons off after an update looks at those cases only (`bot/buttons_off.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "HandledUpdate",
    "UpdateAlreadyHandled",
    "begin_update",
    "current_update",
    "handling",
    "touch_case",
]


@dataclass
class HandledUpdate:
    """The update being handled, and whether a transaction of it has committed yet."""

    bot_id: int
    update_id: int
    handled_at: datetime
    recorded: bool = False  # its ledger row is committed (with the update's first effect)
    commits: int = 0  # write transactions of this update committed so far (its effects)
    # cases a write of this update touched (also one rolled back: a wider look is harmless)
    cases: set[int] = field(default_factory=set)


class UpdateAlreadyHandled(Exception):
    """This update was handled before (its ledger row exists): its effects are not repeated.

    Not a `StorageError` on purpose: code that copes with storage failures must not swallow it
    and go on to send something for an update that was already answered.
    """

    def __init__(self, bot_id: int, update_id: int) -> None:
        super().__init__(f"update {update_id} of bot {bot_id} was handled before")
        self.bot_id = bot_id
        self.update_id = update_id


_current: ContextVar[HandledUpdate | None] = ContextVar("handled_update", default=None)


def current_update() -> HandledUpdate | None:
    """The update whose handling is running in this task, if any (None in the sweep)."""
    return _current.get()


@contextmanager
def handling(entry: HandledUpdate | None) -> Iterator[HandledUpdate | None]:
    """Make `entry` the current update for the block (tests and non-PTB callers)."""
    token = _current.set(entry)
    try:
        yield entry
    finally:
        _current.reset(token)


def begin_update(entry: HandledUpdate | None) -> None:
    """Make `entry` the current update for the rest of this task (PTB's per-update task)."""
    _current.set(entry)


def touch_case(case_id: int) -> None:
    """Note that the update being handled (if any) writes to the case."""
    entry = _current.get()
    if entry is not None:
        entry.cases.add(case_id)
