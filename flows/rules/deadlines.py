"""Deadline lengths, due dates and reminder times.

Every length is configuration (see `DeadlinePolicy`); the defaults are PRODUCT.md's. A deadline
is a row in the database, never a timer in memory: these functions only compute the dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flows.rules.lifecycle import DeadlineKind
from flows.rules.working_days import WorkingDays


def add_working_days(start: datetime, days: int, calendar: WorkingDays | None = None) -> datetime:
    """`start` plus `days` working days (Monday to Friday, less `calendar`'s public holidays),
    keeping the time of day."""
    return (calendar or WorkingDays()).add(start, days)


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long each step may take, and when reminders go out before it."""

    draft_expiry: timedelta = timedelta(days=7)
    supplier_invitation: timedelta = timedelta(days=7)  # filing to the buyer's first invitation
    supplier_response: timedelta = timedelta(days=3)  # from the first invitation
    negotiation: timedelta = timedelta(days=7)
    negotiation_cap_after_filing: timedelta = timedelta(days=8)
    mediator_assignment_working_days: int = 2
    working_days: WorkingDays = field(default_factory=WorkingDays)  # weekends and holidays
    mediation: timedelta = timedelta(days=7)
    arbitration_statements: timedelta = timedelta(days=3)
    arbitration_decision: timedelta = timedelta(days=5)
    fulfilment: timedelta = timedelta(days=7)
    reconsideration: timedelta = timedelta(days=3)
    evidence_request: timedelta = timedelta(days=2)  # when the mediator names no other length
    reminder_fractions: tuple[float, ...] = field(default=(0.5,))
    reminder_before: tuple[timedelta, ...] = field(default=(timedelta(hours=24),))
    # Two reminders closer than this would read as one sent twice: keep only the earlier one.
    reminder_min_gap: timedelta = timedelta(hours=1)

    def due_at(
        self, kind: DeadlineKind, start: datetime, filed_at: datetime | None = None
    ) -> datetime:
        """When a deadline of `kind` that starts at `start` is due."""
        if kind is DeadlineKind.MEDIATOR_ASSIGNMENT:
            return add_working_days(start, self.mediator_assignment_working_days, self.working_days)
        lengths = {
            DeadlineKind.DRAFT_EXPIRY: self.draft_expiry,
            DeadlineKind.SUPPLIER_INVITATION: self.supplier_invitation,
            DeadlineKind.SUPPLIER_RESPONSE: self.supplier_response,
            DeadlineKind.NEGOTIATION: self.negotiation,
            DeadlineKind.MEDIATION: self.mediation,
            DeadlineKind.ARBITRATION_STATEMENTS: self.arbitration_statements,
            DeadlineKind.ARBITRATION_DECISION: self.arbitration_decision,
            DeadlineKind.FULFILMENT: self.fulfilment,
            DeadlineKind.RECONSIDERATION: self.reconsideration,
            DeadlineKind.EVIDENCE_REQUEST: self.evidence_request,
        }
        due = start + lengths[kind]
        if kind is DeadlineKind.NEGOTIATION and filed_at is not None:
            due = min(due, filed_at + self.negotiation_cap_after_filing)
        return due

    def reminder_times(self, start: datetime, due: datetime) -> list[datetime]:
        """Reminder moments strictly between `start` and `due`, sorted, without duplicates.

        Computed on elapsed time (in UTC for aware datetimes, so a DST change in between does not
        shift them) and returned in `start`'s time zone. Moments closer than `reminder_min_gap`
        to an earlier one are dropped.
        """
        zone = start.tzinfo
        if zone is not None:
            start, due = start.astimezone(UTC), due.astimezone(UTC)
        span = due - start
        moments = {start + span * fraction for fraction in self.reminder_fractions}
        moments |= {due - before for before in self.reminder_before}
        kept: list[datetime] = []
        for moment in sorted(m for m in moments if start < m < due):
            if not kept or moment - kept[-1] >= self.reminder_min_gap:
                kept.append(moment)
        return [m.astimezone(zone) for m in kept] if zone is not None else kept
