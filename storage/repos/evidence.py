"""Evidence items: numbered E1, E2, ... per case, hashed and stored, each step on the record.

Numbers are never reused: an item removed while the claim is still being edited is only
marked removed (and hidden), so "E3" means one thing for the whole life of the case. A file
is evidence of a case once: adding it again with the same SHA-256 raises `DuplicateEvidence`
naming its number, checked under the case's lock so two parties adding it at once cannot both
succeed.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.lifecycle import Role
from storage.errors import Conflict, DuplicateEvidence, NotFound
from storage.records import Evidence
from storage.repos.base import Repo, lock_case
from storage.repos.history import append_event
from storage.repos.outbox import OutboxMessage, enqueue
from storage.rows import evidence_from_row
from storage.tables import evidence

__all__ = ["EvidenceRepo"]


class EvidenceRepo(Repo):
    """Adding, listing, storing and (while unstored) removing evidence."""

    async def add(
        self,
        case_id: int,
        submitter_id: int,
        submitter_role: Role,
        kind: str,
        label: str,
        tag: str,
        now: datetime,
        *,
        text: str | None = None,
        telegram_file_id: str | None = None,
        telegram_file_unique_id: str | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        mediator_only: bool = False,
        sha256: str | None = None,
        store_key: str | None = None,
    ) -> Evidence:
        """Record a new item with the next number of the case (event "evidence.added").

        With `sha256` and `store_key` the file is already stored: the item is recorded as
        stored in the same transaction (event "evidence.stored"), unless that file is already
        evidence of the case (DuplicateEvidence, nothing recorded). The event carries no
        statement text for mediator-only items.
        """
        if (sha256 is None) != (store_key is None):
            raise ValueError("sha256 and store_key come together")
        digest = sha256.lower() if sha256 is not None else None

        async def attempt() -> Evidence:
            async with self._write() as conn:
                await lock_case(conn, case_id)
                if digest is not None:
                    existing = await _with_file(conn, case_id, digest)
                    if existing is not None:
                        raise DuplicateEvidence(case_id, existing.number)
                highest = await conn.scalar(
                    select(func.max(evidence.c.number)).where(evidence.c.case_id == case_id)
                )
                number = 1 if highest is None else int(highest) + 1
                row = (
                    (
                        await conn.execute(
                            insert(evidence)
                            .values(
                                case_id=case_id,
                                number=number,
                                submitter_id=submitter_id,
                                submitter_role=Role(submitter_role).value,
                                kind=kind,
                                label=label,
                                tag=tag,
                                text=text,
                                telegram_file_id=telegram_file_id,
                                telegram_file_unique_id=telegram_file_unique_id,
                                file_name=file_name,
                                mime_type=mime_type,
                                size=size,
                                sha256=digest,
                                store_key=store_key,
                                mediator_only=mediator_only,
                                created_at=now,
                                stored_at=now if digest is not None else None,
                                removed_at=None,
                            )
                            .returning(*evidence.c)
                        )
                    )
                    .mappings()
                    .one()
                )
                item = evidence_from_row(row)
                payload: dict[str, Any] = {
                    "number": item.number,
                    "kind": item.kind,
                    "label": item.label,
                    "tag": item.tag,
                    "size": item.size,
                    "file_unique_id": item.telegram_file_unique_id,
                    "mediator_only": item.mediator_only,
                }
                if item.text is not None and not item.mediator_only:
                    payload["text"] = item.text
                await append_event(
                    conn, case_id, submitter_id, submitter_role, "evidence.added", payload, now
                )
                if digest is not None:
                    await _stored_event(conn, item, now)
                return item

        return await self._retry_unique(attempt, f"evidence of case {case_id}")

    async def list(
        self, case_id: int, *, include_mediator_only: bool = True
    ) -> builtins.list[Evidence]:
        """The case's items in number order (removed draft items left out)."""
        query = select(evidence).where(
            evidence.c.case_id == case_id, evidence.c.removed_at.is_(None)
        )
        if not include_mediator_only:
            query = query.where(evidence.c.mediator_only.is_(False))
        async with self._read() as conn:
            result = await conn.execute(query.order_by(evidence.c.number))
            return [evidence_from_row(row) for row in result.mappings()]

    async def with_file(self, case_id: int, sha256: str) -> Evidence | None:
        """The case's item whose stored file has this SHA-256, if there is one."""
        async with self._read() as conn:
            return await _with_file(conn, case_id, sha256.lower())

    async def get(self, case_id: int, number: int) -> Evidence | None:
        """Item E`number` of the case, unless it was removed."""
        async with self._read() as conn:
            return await _fetch(conn, case_id, number)

    async def remove_unstored(
        self,
        case_id: int,
        number: int,
        now: datetime,
        *,
        actor_id: int | None = None,
        actor_role: Role | None = None,
    ) -> Evidence:
        """Remove an item that is not stored yet (claim editing); event "evidence.removed".

        The actor defaults to the item's submitter. Raises NotFound for an unknown or already
        removed item, Conflict once the item is stored (then it is part of the record).
        """
        async with self._write() as conn:
            item = await _fetch(conn, case_id, number)
            if item is None:
                raise NotFound(f"no evidence E{number} in case {case_id}")
            if item.sha256 is not None:
                raise Conflict(f"E{number} of case {case_id} is stored and cannot be removed")
            row = (
                (
                    await conn.execute(
                        update(evidence)
                        .where(
                            evidence.c.id == item.id,
                            evidence.c.sha256.is_(None),
                            evidence.c.removed_at.is_(None),
                        )
                        .values(removed_at=now)
                        .returning(*evidence.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise Conflict(f"E{number} of case {case_id} changed meanwhile")
            await append_event(
                conn,
                case_id,
                item.submitter_id if actor_id is None else actor_id,
                item.submitter_role if actor_role is None else actor_role,
                "evidence.removed",
                {"number": number},
                now,
            )
            return evidence_from_row(row)

    async def mark_stored(
        self, evidence_id: int, sha256: str, size: int, store_key: str, now: datetime
    ) -> Evidence:
        """Record that the file is stored, with its hash (event "evidence.stored").

        Marking again with the same hash returns the item unchanged; a different hash, or an
        item removed meanwhile, raises Conflict.
        """
        sha256 = sha256.lower()
        async with self._write() as conn:
            row = (
                (
                    await conn.execute(
                        update(evidence)
                        .where(
                            evidence.c.id == evidence_id,
                            evidence.c.sha256.is_(None),
                            evidence.c.removed_at.is_(None),
                        )
                        .values(sha256=sha256, size=size, store_key=store_key, stored_at=now)
                        .returning(*evidence.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                current = (
                    (await conn.execute(select(evidence).where(evidence.c.id == evidence_id)))
                    .mappings()
                    .first()
                )
                if current is None:
                    raise NotFound(f"evidence {evidence_id} not found")
                existing = evidence_from_row(current)
                if existing.removed_at is None and existing.sha256 == sha256:
                    return existing
                raise Conflict(f"evidence {evidence_id} is removed or stored with another hash")
            item = evidence_from_row(row)
            await _stored_event(conn, item, now)
            return item

    async def judge_authenticity(
        self,
        case_id: int,
        number: int,
        actor_id: int,
        actor_role: Role,
        verdict: str,
        now: datetime,
        *,
        outbox: Sequence[OutboxMessage] = (),
    ) -> Evidence:
        """The other party's answer to a chat screenshot: "confirmed" or "disputed" (event
        "evidence.confirmed" / "evidence.disputed"). Once only: an item answered already raises
        Conflict (a dispute is never flipped silently); NotFound for an unknown item. Who may
        answer is the caller's check (flows/evidence_confirm.py). `outbox`: the news of it,
        queued in the same transaction."""
        if verdict not in ("confirmed", "disputed"):
            raise ValueError(f"unknown verdict {verdict!r}")
        async with self._write() as conn:
            await lock_case(conn, case_id)
            item = await _fetch(conn, case_id, number)
            if item is None:
                raise NotFound(f"no evidence E{number} in case {case_id}")
            if item.authenticity is not None:
                raise Conflict(f"E{number} of case {case_id} is {item.authenticity} already")
            row = (
                (
                    await conn.execute(
                        update(evidence)
                        .where(evidence.c.id == item.id, evidence.c.authenticity.is_(None))
                        .values(authenticity=verdict, authenticity_by=actor_id, authenticity_at=now)
                        .returning(*evidence.c)
                    )
                )
                .mappings()
                .one()
            )
            await append_event(
                conn, case_id, actor_id, actor_role, f"evidence.{verdict}", {"number": number}, now
            )
            await enqueue(conn, outbox, now)
            return evidence_from_row(row)

    async def give_dispute_reason(
        self,
        case_id: int,
        number: int,
        actor_id: int,
        actor_role: Role,
        reason: str,
        now: datetime,
        *,
        outbox: Sequence[OutboxMessage] = (),
    ) -> Evidence:
        """The reason for a dispute, given after it by the one who disputed (event
        "evidence.dispute_reason"); once only: Conflict otherwise."""
        async with self._write() as conn:
            row = (
                (
                    await conn.execute(
                        update(evidence)
                        .where(
                            evidence.c.case_id == case_id,
                            evidence.c.number == number,
                            evidence.c.authenticity == "disputed",
                            evidence.c.authenticity_by == actor_id,
                            evidence.c.authenticity_reason.is_(None),
                        )
                        .values(authenticity_reason=reason)
                        .returning(*evidence.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise Conflict(f"E{number} of case {case_id} takes no reason from {actor_id}")
            await append_event(
                conn,
                case_id,
                actor_id,
                actor_role,
                "evidence.dispute_reason",
                {"number": number, "reason": reason},
                now,
            )
            await enqueue(conn, outbox, now)
            return evidence_from_row(row)


async def _fetch(conn: AsyncConnection, case_id: int, number: int) -> Evidence | None:
    row = (
        (
            await conn.execute(
                select(evidence).where(
                    evidence.c.case_id == case_id,
                    evidence.c.number == number,
                    evidence.c.removed_at.is_(None),
                )
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else evidence_from_row(row)


async def _with_file(conn: AsyncConnection, case_id: int, sha256: str) -> Evidence | None:
    row = (
        (
            await conn.execute(
                select(evidence)
                .where(
                    evidence.c.case_id == case_id,
                    evidence.c.sha256 == sha256,
                    evidence.c.removed_at.is_(None),
                )
                .order_by(evidence.c.number)
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else evidence_from_row(row)


async def _stored_event(conn: AsyncConnection, item: Evidence, now: datetime) -> None:
    await append_event(
        conn,
        item.case_id,
        None,
        Role.SYSTEM,
        "evidence.stored",
        {"number": item.number, "sha256": item.sha256, "size": item.size},
        now,
    )
