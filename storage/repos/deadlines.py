"""Deadlines as rows: started, due, reminded and claimed atomically by the scheduler.

`claim_due` and `claim_reminders_due` are safe with several workers: on PostgreSQL the rows are
picked with FOR UPDATE SKIP LOCKED and changed in the same transaction; on SQLite the write
transaction (BEGIN IMMEDIATE) runs alone. Either way each deadline fires once and each reminder
moment is claimed once.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.lifecycle import SIDE_DEADLINES, DeadlineKind
from storage.errors import NotFound
from storage.records import Deadline, DeadlineStatus, NewDeadline
from storage.repos.base import Repo
from storage.rows import deadline_from_row, opt_datetime
from storage.tables import deadlines
from storage.types import to_utc

__all__ = ["DeadlineRepo", "close_pending", "insert_deadline", "next_reminder_after"]

_PENDING = DeadlineStatus.PENDING


async def insert_deadline(
    conn: AsyncConnection, case_id: int, new: NewDeadline, now: datetime
) -> Deadline:
    """Start a deadline inside the caller's transaction; the first reminder is armed."""
    due_at = to_utc(new.due_at)
    times = sorted({to_utc(t) for t in new.reminder_times if to_utc(t) < due_at})
    row = (
        (
            await conn.execute(
                insert(deadlines)
                .values(
                    case_id=case_id,
                    kind=new.kind.value,
                    started_at=new.started_at,
                    due_at=new.due_at,
                    status=_PENDING,
                    next_reminder_at=times[0] if times else None,
                    reminders_sent=0,
                    reminder_times=times,
                    created_at=now,
                    closed_at=None,
                )
                .returning(*deadlines.c)
            )
        )
        .mappings()
        .one()
    )
    return deadline_from_row(row)


async def close_pending(
    conn: AsyncConnection,
    case_id: int,
    status: str,
    now: datetime,
    keep: Collection[DeadlineKind] = (),
) -> builtins.list[Deadline]:
    """Close every pending deadline of the case with `status`, but those of a kind in `keep`;
    returns the closed rows."""
    if status not in DeadlineStatus.CLOSING:
        raise ValueError(f"{status!r} does not close a deadline; use one of met/cancelled/fired")
    kept = [kind.value for kind in keep]
    result = await conn.execute(
        update(deadlines)
        .where(
            deadlines.c.case_id == case_id,
            deadlines.c.status == _PENDING,
            deadlines.c.kind.not_in(kept),
        )
        .values(status=status, closed_at=now, next_reminder_at=None)
        .returning(*deadlines.c)
    )
    return [deadline_from_row(row) for row in result.mappings()]


class DeadlineRepo(Repo):
    """Reading deadlines and claiming the ones that are due."""

    async def add(self, case_id: int, new: NewDeadline, now: datetime) -> Deadline:
        """Start a deadline outside a transition (e.g. a mediator's request for evidence)."""
        async with self._write() as conn:
            return await insert_deadline(conn, case_id, new, now)

    async def get(self, deadline_id: int) -> Deadline | None:
        async with self._read() as conn:
            row = (
                (await conn.execute(select(deadlines).where(deadlines.c.id == deadline_id)))
                .mappings()
                .first()
            )
            return None if row is None else deadline_from_row(row)

    async def close(self, deadline_id: int, status: str, now: datetime) -> Deadline:
        """Close one pending deadline (met or cancelled); raises NotFound if it is not pending."""
        if status not in DeadlineStatus.CLOSING:
            raise ValueError(f"{status!r} does not close a deadline")
        async with self._write() as conn:
            row = (
                (
                    await conn.execute(
                        update(deadlines)
                        .where(deadlines.c.id == deadline_id, deadlines.c.status == _PENDING)
                        .values(status=status, closed_at=now, next_reminder_at=None)
                        .returning(*deadlines.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound(f"no pending deadline {deadline_id}")
            return deadline_from_row(row)

    async def pending_for_case(self, case_id: int) -> builtins.list[Deadline]:
        """The case's running deadlines, soonest first."""
        async with self._read() as conn:
            result = await conn.execute(
                select(deadlines)
                .where(deadlines.c.case_id == case_id, deadlines.c.status == _PENDING)
                .order_by(deadlines.c.due_at, deadlines.c.id)
            )
            return [deadline_from_row(row) for row in result.mappings()]

    async def next_for_case(self, case_id: int) -> Deadline | None:
        """The case's earliest pending deadline of its own, if any (not one running beside it,
        such as a request for evidence: `SIDE_DEADLINES`)."""
        pending = await self.pending_for_case(case_id)
        own = [d for d in pending if d.kind not in SIDE_DEADLINES]
        return own[0] if own else None

    async def claim_due(self, now: datetime, limit: int = 100) -> builtins.list[Deadline]:
        """Mark pending deadlines due at or before `now` as fired and return them (once each)."""
        due = (
            select(deadlines.c.id)
            .where(deadlines.c.status == _PENDING, deadlines.c.due_at <= now)
            .order_by(deadlines.c.due_at, deadlines.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._write() as conn:
            result = await conn.execute(
                update(deadlines)
                .where(deadlines.c.id.in_(due), deadlines.c.status == _PENDING)
                .values(status=DeadlineStatus.FIRED, closed_at=now, next_reminder_at=None)
                .returning(*deadlines.c)
            )
            fired = [deadline_from_row(row) for row in result.mappings()]
        return sorted(fired, key=lambda d: (d.due_at, d.id))

    async def claim_reminders_due(self, now: datetime, limit: int = 100) -> builtins.list[Deadline]:
        """Claim the reminders due at or before `now`, each reminder moment once.

        Each claimed deadline's `next_reminder_at` moves to its next reminder time after `now`
        (or NULL) and `reminders_sent` grows by one. Moments missed while no worker ran are
        folded into this one reminder. Deadlines already due are skipped: they fire instead.
        The records returned are the rows as they were when claimed: `next_reminder_at` is the
        moment being reminded of, `reminders_sent` the count before this reminder.
        """
        now = to_utc(now)
        async with self._write() as conn:
            result = await conn.execute(
                select(deadlines)
                .where(
                    deadlines.c.status == _PENDING,
                    deadlines.c.next_reminder_at <= now,
                    deadlines.c.due_at > now,
                )
                .order_by(deadlines.c.next_reminder_at, deadlines.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            candidates = [deadline_from_row(row) for row in result.mappings()]
            claimed: builtins.list[Deadline] = []
            for deadline in candidates:
                following = next_reminder_after(deadline.reminder_times, now, deadline.due_at)
                changed = await conn.execute(
                    update(deadlines)
                    .where(
                        deadlines.c.id == deadline.id,
                        deadlines.c.status == _PENDING,
                        deadlines.c.next_reminder_at == deadline.next_reminder_at,
                    )
                    .values(
                        next_reminder_at=following,
                        reminders_sent=deadlines.c.reminders_sent + 1,
                    )
                )
                if changed.rowcount == 1:
                    claimed.append(deadline)
        return claimed

    async def next_wakeup(self) -> datetime | None:
        """The earliest moment a pending deadline is due or wants a reminder."""
        async with self._read() as conn:
            row = (
                await conn.execute(
                    select(
                        func.min(deadlines.c.due_at), func.min(deadlines.c.next_reminder_at)
                    ).where(deadlines.c.status == _PENDING)
                )
            ).one()
        moments = [m for m in (opt_datetime(row[0]), opt_datetime(row[1])) if m is not None]
        return min(moments) if moments else None

    async def cancel_for_case(self, case_id: int, now: datetime) -> builtins.list[Deadline]:
        """Cancel every pending deadline of the case; returns the cancelled rows."""
        async with self._write() as conn:
            return await close_pending(conn, case_id, DeadlineStatus.CANCELLED, now)


def next_reminder_after(
    times: Sequence[datetime], now: datetime, due_at: datetime
) -> datetime | None:
    return next((t for t in sorted(times) if now < t < due_at), None)
