"""The outbox: messages about a change of a case, queued in the change's own transaction.

A flow renders each reader's copy first, then hands the rows (`OutboxMessage`) to the repository
call that makes the change; `enqueue` inserts them in that transaction, so the change and the
news of it commit together or not at all. The deliverer (`flows/outbox.py`) then claims rows,
sends them and records Telegram's message id (`mark_sent`): a delivered row is never sent again.
A row claimed by a worker that died is leased only until `next_attempt_at`, then claimable
again, so every row is delivered at least once. A row that keeps failing is given up after
`MAX_ATTEMPTS` and put on the case's record (`delivery.failed`) in the same transaction.

Per-chat order: a row is claimable only when no earlier row of its chat is still pending or
being sent, so one chat reads its news in the order it happened, also with several workers.
`dedupe_key` is unique: the same news queued twice (a re-delivered update) is inserted once.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import alias

from flows.rules.lifecycle import Role
from storage.repos.base import Repo, dialect_insert
from storage.repos.history import append_event
from storage.rows import opt_datetime
from storage.tables import outbox
from storage.types import to_utc

__all__ = ["MAX_ATTEMPTS", "OutboxMessage", "OutboxRepo", "OutboxRow", "enqueue"]

MAX_ATTEMPTS = 5
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
Buttons = list[list[tuple[str, str]]]


@dataclass(frozen=True)
class OutboxMessage:
    """One reader's rendered copy, to be queued with the change it tells about."""

    chat_id: int
    text: str
    dedupe_key: str
    case_id: int | None = None
    buttons: Buttons | None = None
    shared: bool = False  # the dispute chat, rendered for every participant


@dataclass(frozen=True)
class OutboxRow:
    id: int
    case_id: int | None
    chat_id: int
    dedupe_key: str
    text: str
    buttons: Buttons | None
    shared: bool
    status: str
    attempts: int
    message_id: int | None
    last_error: str | None
    sent_at: datetime | None


def _row(row: RowMapping) -> OutboxRow:
    buttons = row["buttons"]
    return OutboxRow(
        id=row["id"],
        case_id=row["case_id"],
        chat_id=row["chat_id"],
        dedupe_key=row["dedupe_key"],
        text=row["text"],
        buttons=[[(str(b[0]), str(b[1])) for b in line] for line in buttons]
        if buttons is not None
        else None,
        shared=bool(row["shared"]),
        status=row["status"],
        attempts=row["attempts"],
        message_id=row["message_id"],
        last_error=row["last_error"],
        sent_at=opt_datetime(row["sent_at"]),
    )


async def enqueue(
    conn: AsyncConnection, messages: Sequence[OutboxMessage], now: datetime
) -> builtins.list[int]:
    """Queue `messages` inside the caller's transaction, in order; a key already queued is
    skipped (the same news twice is sent once). Returns the ids of the rows inserted."""
    ids: builtins.list[int] = []
    for message in messages:
        statement = (
            dialect_insert(conn, outbox)
            .values(
                case_id=message.case_id,
                chat_id=message.chat_id,
                dedupe_key=message.dedupe_key[:200],
                text=message.text,
                buttons=[[list(b) for b in line] for line in message.buttons]
                if message.buttons is not None
                else None,
                shared=message.shared,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(outbox.c.id)
        )
        inserted = await conn.scalar(statement)
        if inserted is not None:
            ids.append(int(inserted))
    return ids


class OutboxRepo(Repo):
    """Queueing outside a change, claiming, and recording what a send came to."""

    async def add(self, messages: Sequence[OutboxMessage], now: datetime) -> builtins.list[int]:
        async with self._write() as conn:
            return await enqueue(conn, messages, now)

    async def record(
        self,
        case_id: int,
        actor_id: int | None,
        actor_role: Role,
        kind: str,
        payload: Mapping[str, Any],
        now: datetime,
        messages: Sequence[OutboxMessage],
    ) -> None:
        """An event on the case's record and its news, in one transaction (a final statement
        and the copies for the mediator and the other party)."""
        async with self._write() as conn:
            await append_event(conn, case_id, actor_id, actor_role, kind, payload, now)
            await enqueue(conn, messages, now)

    async def claim(
        self,
        now: datetime,
        lease: timedelta,
        limit: int = 50,
        *,
        keys: Sequence[str] | None = None,
    ) -> builtins.list[OutboxRow]:
        """Claim the sendable rows: pending (or leased by a worker that died) and due, and the
        first still open of their chat (only those of `keys`, when given). Each is leased to
        the caller until `now + lease`."""
        now = to_utc(now)
        earlier = alias(outbox, "earlier")
        blocked = exists().where(
            and_(
                earlier.c.chat_id == outbox.c.chat_id,
                earlier.c.id < outbox.c.id,
                earlier.c.status.in_((PENDING, SENDING)),
            )
        )
        due = (
            select(outbox.c.id)
            .where(
                outbox.c.status.in_((PENDING, SENDING)),
                outbox.c.next_attempt_at <= now,
                ~blocked,
                outbox.c.dedupe_key.in_(keys) if keys is not None else outbox.c.id.is_not(None),
            )
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._write() as conn:
            result = await conn.execute(
                update(outbox)
                .where(
                    outbox.c.id.in_(due),
                    outbox.c.status.in_((PENDING, SENDING)),
                    outbox.c.next_attempt_at <= now,
                )
                .values(
                    status=SENDING,
                    attempts=outbox.c.attempts + 1,
                    next_attempt_at=now + lease,
                )
                .returning(*outbox.c)
            )
            rows = [_row(row) for row in result.mappings()]
        return sorted(rows, key=lambda r: r.id)

    async def mark_sent(self, row_id: int, message_id: int, chat_id: int, now: datetime) -> None:
        """Delivered: never sent again. `chat_id` is where it went (a supergroup, if moved)."""
        async with self._write() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == row_id)
                .values(
                    status=SENT,
                    message_id=message_id,
                    chat_id=chat_id,
                    sent_at=now,
                    last_error=None,
                )
            )

    async def retry_later(
        self, row: OutboxRow, error: str, payload: Mapping[str, Any], at: datetime, now: datetime
    ) -> None:
        """A send failed in a way that may pass: pending again from `at`. The failed try is on
        the case's record (`retry_at` says it is not given up), in the same transaction."""
        async with self._write() as conn:
            changed = await conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.status == SENDING)
                .values(status=PENDING, last_error=error[:500], next_attempt_at=at)
            )
            if changed.rowcount == 1 and row.case_id is not None:
                event = {"to": row.chat_id, **payload, "retry_at": at}
                await append_event(
                    conn, row.case_id, None, Role.SYSTEM, "delivery.failed", event, now
                )

    async def give_up(
        self, row: OutboxRow, error: str, payload: Mapping[str, Any], now: datetime
    ) -> None:
        """Stop trying; the case's record says who did not get what (same transaction).
        `error` (the full text) stays on the row; `payload` is the event's (role, error type)."""
        async with self._write() as conn:
            changed = await conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.status == SENDING)
                .values(status=FAILED, last_error=error[:500])
            )
            if changed.rowcount == 1 and row.case_id is not None:
                # The same record as a failed direct send (flows.audience): who, what Telegram said.
                event = {"to": row.chat_id, **payload}
                await append_event(
                    conn, row.case_id, None, Role.SYSTEM, "delivery.failed", event, now
                )

    async def get_by_key(self, dedupe_key: str) -> OutboxRow | None:
        async with self._read() as conn:
            row = (
                (await conn.execute(select(outbox).where(outbox.c.dedupe_key == dedupe_key)))
                .mappings()
                .first()
            )
            return None if row is None else _row(row)

    async def for_case(self, case_id: int) -> builtins.list[OutboxRow]:
        async with self._read() as conn:
            result = await conn.execute(
                select(outbox).where(outbox.c.case_id == case_id).order_by(outbox.c.id)
            )
            return [_row(row) for row in result.mappings()]

    async def open_count(self) -> int:
        """Rows not delivered and not given up (pending or being sent)."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(outbox.c.id).where(outbox.c.status.in_((PENDING, SENDING)))
            )
            return len(rows.all())
