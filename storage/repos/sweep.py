"""The deadline sweep's steps, each one transaction: a reminder with its messages, a deadline's
claim with its outcome and its messages.

The sweep reads what is due (`due_deadlines`, `due_reminders`), renders the news for each
reader, then calls `fire` or `remind`, which claim the row (a compare-and-set on its status or
its reminder moment, FOR UPDATE on PostgreSQL), check that the case is still where the deadline
applies (the case's `version`), apply the outcome and queue the news in ONE transaction. A crash
anywhere before the commit leaves the deadline pending, to be fired by the next sweep; after
it, the news is in the outbox. Of two workers, one claims the row, the other gets None.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.rules.lifecycle import Action, LifecyclePolicy, Role
from storage.errors import ConcurrentUpdate
from storage.records import Case, Deadline, DeadlineStatus, NewDeadline
from storage.repos.base import Repo
from storage.repos.deadlines import insert_deadline
from storage.repos.history import append_event
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.transitions import apply_transition, deadline_payload
from storage.rows import deadline_from_row
from storage.tables import cases, deadlines, drafts
from storage.types import to_utc

__all__ = ["SweepRepo"]

_PENDING = DeadlineStatus.PENDING
Hook = Callable[[], None]


class SweepRepo(Repo):
    def __init__(self, engine: AsyncEngine, policy: LifecyclePolicy | None = None) -> None:
        super().__init__(engine)
        self._policy = policy or LifecyclePolicy()

    async def due_deadlines(self, now: datetime, limit: int = 100) -> builtins.list[Deadline]:
        """Pending deadlines due at or before `now`, soonest first (read only: not claimed)."""
        async with self._read() as conn:
            result = await conn.execute(
                select(deadlines)
                .where(deadlines.c.status == _PENDING, deadlines.c.due_at <= to_utc(now))
                .order_by(deadlines.c.due_at, deadlines.c.id)
                .limit(limit)
            )
            return [deadline_from_row(row) for row in result.mappings()]

    async def due_reminders(self, now: datetime, limit: int = 100) -> builtins.list[Deadline]:
        """Pending deadlines whose reminder moment came and that are not due yet (read only)."""
        now = to_utc(now)
        async with self._read() as conn:
            result = await conn.execute(
                select(deadlines)
                .where(
                    deadlines.c.status == _PENDING,
                    deadlines.c.next_reminder_at <= now,
                    deadlines.c.due_at > now,
                )
                .order_by(deadlines.c.next_reminder_at, deadlines.c.id)
                .limit(limit)
            )
            return [deadline_from_row(row) for row in result.mappings()]

    async def remind(
        self,
        deadline: Deadline,
        following: datetime | None,
        now: datetime,
        outbox: Sequence[OutboxMessage],
    ) -> bool:
        """Claim the reminder moment `deadline.next_reminder_at` (moving it to `following`) and
        queue its messages, together; False when another worker had claimed it."""
        async with self._write() as conn:
            changed = await conn.execute(
                update(deadlines)
                .where(
                    deadlines.c.id == deadline.id,
                    deadlines.c.status == _PENDING,
                    deadlines.c.next_reminder_at == deadline.next_reminder_at,
                    deadlines.c.due_at > to_utc(now),
                )
                .values(next_reminder_at=following, reminders_sent=deadlines.c.reminders_sent + 1)
            )
            if changed.rowcount != 1:
                return False
            await enqueue(conn, outbox, now)
            return True

    async def fire(
        self,
        deadline: Deadline,
        now: datetime,
        *,
        action: Action | None,
        case_version: int,
        new_deadline: NewDeadline | None = None,
        passed_event: Mapping[str, Any] | None = None,
        delete_draft: bool = False,
        outbox: Sequence[OutboxMessage] = (),
        before_commit: Hook | None = None,
    ) -> Case | bool | None:
        """Claim the due `deadline` and apply its outcome in one transaction.

        With `action`, the case (still at `case_version`, else ConcurrentUpdate) moves by it as
        the system; without, `passed_event` is put on the record and `new_deadline`, if any,
        starts (the decision period after the final statements). `delete_draft` drops the claim
        form (a stale draft deleted). Returns the moved case, True when only recorded, None when
        the deadline was no longer pending (another worker, or the case moved on and closed it).
        IllegalTransition / ConcurrentUpdate roll everything back: the deadline stays pending.
        """
        async with self._write() as conn:
            # The case first, as a party's change takes it (case, then its deadlines): a party
            # whose change is under way holds it, so the sweep waits for it and then finds the
            # case moved on (never a deadlock of case against deadline, which PostgreSQL would
            # break by failing either side, maybe the party's).
            version = await conn.scalar(
                select(cases.c.version).where(cases.c.id == deadline.case_id).with_for_update()
            )
            if action is not None and version != case_version:
                raise ConcurrentUpdate(
                    f"case {deadline.case_id} is at version {version}, expected {case_version}"
                )
            claimed = await conn.execute(
                update(deadlines)
                .where(deadlines.c.id == deadline.id, deadlines.c.status == _PENDING)
                .values(status=DeadlineStatus.FIRED, closed_at=now, next_reminder_at=None)
            )
            if claimed.rowcount != 1:
                return None
            result: Case | bool | None = True
            if action is not None:
                result = await self._apply(conn, deadline, now, action, case_version, new_deadline)
            else:
                payload = dict(passed_event or {})
                if new_deadline is not None:
                    await insert_deadline(conn, deadline.case_id, new_deadline, now)
                    payload["deadline"] = deadline_payload(new_deadline)
                await append_event(
                    conn, deadline.case_id, None, Role.SYSTEM, "deadline.passed", payload, now
                )
            if delete_draft:
                await conn.execute(delete(drafts).where(drafts.c.case_id == deadline.case_id))
            await enqueue(conn, outbox, now)
            if before_commit is not None:
                before_commit()
            return result

    async def _apply(
        self,
        conn: AsyncConnection,
        deadline: Deadline,
        now: datetime,
        action: Action,
        case_version: int,
        new_deadline: NewDeadline | None,
    ) -> Case:
        return await apply_transition(
            conn,
            deadline.case_id,
            action,
            None,
            Role.SYSTEM,
            now,
            policy=self._policy,
            reason=f"{deadline.kind} deadline passed",
            new_deadline=new_deadline,
            expected_version=case_version,
            closing_status=DeadlineStatus.CANCELLED,
        )
