"""The case history: append-only, hash-chained events (who did what, when and why).

The database refuses UPDATE and DELETE on `history_events` (triggers from the migration); the
chain makes any edit made around those triggers visible to `verify`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.lifecycle import Role
from storage.hashing import GENESIS_HASH, event_hash
from storage.records import HistoryEvent, VerifyResult
from storage.repos.base import Repo, lock_case
from storage.rows import event_from_row
from storage.tables import history_events
from storage.types import normalise_json, to_utc

__all__ = ["HistoryRepo", "append_event", "verify_events"]


async def append_event(
    conn: AsyncConnection,
    case_id: int,
    actor_id: int | None,
    actor_role: Role,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
) -> HistoryEvent:
    """Append one event inside the caller's transaction (so it commits with the change)."""
    await lock_case(conn, case_id)
    last = (
        (
            await conn.execute(
                select(history_events.c.seq, history_events.c.hash)
                .where(history_events.c.case_id == case_id)
                .order_by(history_events.c.seq.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    seq = 1 if last is None else int(last["seq"]) + 1
    prev_hash = GENESIS_HASH if last is None else str(last["hash"])
    body: dict[str, Any] = normalise_json(dict(payload))
    created_at = to_utc(now)
    digest = event_hash(
        prev_hash,
        case_id=case_id,
        seq=seq,
        actor_id=actor_id,
        actor_role=Role(actor_role).value,
        kind=kind,
        payload=body,
        created_at=created_at,
    )
    row = (
        (
            await conn.execute(
                insert(history_events)
                .values(
                    case_id=case_id,
                    seq=seq,
                    actor_id=actor_id,
                    actor_role=Role(actor_role).value,
                    kind=kind,
                    payload=body,
                    created_at=created_at,
                    prev_hash=prev_hash,
                    hash=digest,
                )
                .returning(*history_events.c)
            )
        )
        .mappings()
        .one()
    )
    return event_from_row(row)


def recomputed_hash(event: HistoryEvent, prev_hash: str) -> str:
    """The hash `event` must have after `prev_hash`, from its stored fields."""
    return event_hash(
        prev_hash,
        case_id=event.case_id,
        seq=event.seq,
        actor_id=event.actor_id,
        actor_role=event.actor_role.value,
        kind=event.kind,
        payload=event.payload,
        created_at=event.created_at,
    )


def verify_events(events: list[HistoryEvent]) -> VerifyResult:
    """Check seq order, the links and every hash; report the first seq that does not hold."""
    prev_hash = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        recomputed = recomputed_hash(event, prev_hash)
        if event.seq != expected_seq or event.prev_hash != prev_hash or event.hash != recomputed:
            return VerifyResult(ok=False, count=len(events), first_bad_seq=expected_seq)
        prev_hash = event.hash
    return VerifyResult(ok=True, count=len(events), first_bad_seq=None)


class HistoryRepo(Repo):
    """Reading, appending and verifying a case's history."""

    _append = staticmethod(append_event)

    async def append(
        self,
        case_id: int,
        actor_id: int | None,
        actor_role: Role,
        kind: str,
        payload: Mapping[str, Any],
        now: datetime,
    ) -> HistoryEvent:
        """Append an event in its own transaction (e.g. a chat message put on the record)."""

        async def attempt() -> HistoryEvent:
            async with self._write() as conn:
                return await append_event(conn, case_id, actor_id, actor_role, kind, payload, now)

        return await self._retry_unique(attempt, f"history of case {case_id}")

    async def list(self, case_id: int) -> list[HistoryEvent]:
        """Every event of the case, oldest first."""
        async with self._read() as conn:
            result = await conn.execute(
                select(history_events)
                .where(history_events.c.case_id == case_id)
                .order_by(history_events.c.seq)
            )
            return [event_from_row(row) for row in result.mappings()]

    async def last(self, case_id: int) -> HistoryEvent | None:
        """The newest event of the case (its hash is the head of the chain)."""
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(history_events)
                        .where(history_events.c.case_id == case_id)
                        .order_by(history_events.c.seq.desc())
                        .limit(1)
                    )
                )
                .mappings()
                .first()
            )
            return None if row is None else event_from_row(row)

    async def verify(self, case_id: int) -> VerifyResult:
        """Recompute the case's hash chain from the stored events."""
        return verify_events(await self.list(case_id))
