"""The mediator's requests for evidence: R1, R2, ... within a case, each with its deadline row.

Each step is one transaction with its history event and its news (outbox): a request made, a
request answered by evidence (met, or the item marked late when the request had lapsed), a
request's deadline passing (lapsed; claimed like every deadline, so it fires once), a late item
accepted or left out by the mediator. The case row is read FOR UPDATE first, as a transition
takes it, so a request and a move of the case never interleave.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.lifecycle import SIDE_DEADLINE_STATES, Role
from storage.errors import Conflict
from storage.records import Case, Deadline, DeadlineStatus, EvidenceRequest, NewDeadline
from storage.repos.base import Repo
from storage.repos.deadlines import insert_deadline
from storage.repos.history import append_event
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.transitions import fetch_case
from storage.rows import evidence_request_from_row
from storage.tables import cases, deadlines, evidence, evidence_requests
from storage.types import to_utc

__all__ = ["Answered", "EvidenceRequestRepo", "RequestStatus", "Verdict"]


class RequestStatus:
    OPEN = "open"
    MET = "met"
    LAPSED = "lapsed"


class Verdict:
    """An item's `evidence.lateness`."""

    LATE = "late"
    ACCEPTED = "accepted"
    LEFT_OUT = "left_out"
    JUDGED = frozenset({ACCEPTED, LEFT_OUT})


@dataclass(frozen=True)
class Answered:
    """What an evidence item did to the requests of its submitter's side."""

    met: list[EvidenceRequest]  # open requests it answered in time
    late: EvidenceRequest | None  # the lapsed request it came after (the item is marked late)


RequestNews = Callable[[EvidenceRequest], Sequence[OutboxMessage]]
AnswerNews = Callable[[Answered], Sequence[OutboxMessage]]


async def _lock_case(conn: AsyncConnection, case_id: int) -> Case | None:
    await conn.execute(select(cases.c.id).where(cases.c.id == case_id).with_for_update())
    return await fetch_case(conn, case_id)


class EvidenceRequestRepo(Repo):
    async def create(
        self,
        case_id: int,
        mediator_id: int,
        party_role: Role,
        what: str,
        new_deadline: NewDeadline,
        now: datetime,
        news: RequestNews,
    ) -> EvidenceRequest:
        """Record a request by the case's own mediator, start its deadline, put it on the
        record and queue `news(request)`, together. Conflict when the case is not (or no
        longer) with this mediator in mediation or arbitration."""
        async with self._write() as conn:
            case = await _lock_case(conn, case_id)
            if (
                case is None
                or case.mediator_id != mediator_id
                or case.state not in SIDE_DEADLINE_STATES
            ):
                raise Conflict(f"case {case_id} takes no request for evidence from {mediator_id}")
            number = 1 + int(
                await conn.scalar(
                    select(func.coalesce(func.max(evidence_requests.c.number), 0)).where(
                        evidence_requests.c.case_id == case_id
                    )
                )
                or 0
            )
            deadline = await insert_deadline(conn, case_id, new_deadline, now)
            row = (
                (
                    await conn.execute(
                        insert(evidence_requests)
                        .values(
                            case_id=case_id,
                            number=number,
                            mediator_id=mediator_id,
                            party_role=party_role.value,
                            what=what,
                            due_at=new_deadline.due_at,
                            deadline_id=deadline.id,
                            status=RequestStatus.OPEN,
                            answers=[],
                            created_at=now,
                            closed_at=None,
                        )
                        .returning(*evidence_requests.c)
                    )
                )
                .mappings()
                .one()
            )
            request = evidence_request_from_row(row)
            payload = {
                "number": number,
                "party": party_role.value,
                "what": what,
                "deadline": {"kind": new_deadline.kind.value, "due_at": new_deadline.due_at},
            }
            await append_event(
                conn, case_id, mediator_id, Role.MEDIATOR, "evidence.requested", payload, now
            )
            await enqueue(conn, news(request), now)
            return request

    async def list(self, case_id: int) -> builtins.list[EvidenceRequest]:
        async with self._read() as conn:
            rows = await conn.execute(
                select(evidence_requests)
                .where(evidence_requests.c.case_id == case_id)
                .order_by(evidence_requests.c.number)
            )
            return [evidence_request_from_row(row) for row in rows.mappings()]

    async def answer(
        self, case_id: int, role: Role, number: int, now: datetime, news: AnswerNews
    ) -> Answered | None:
        """Evidence item `number` of `role` came in: it meets every open request of that side
        still in time (their deadlines met); with none, after a lapsed one it is marked late.
        None when it concerns no request."""
        async with self._write() as conn:
            case = await _lock_case(conn, case_id)
            if case is None or case.state not in SIDE_DEADLINE_STATES:
                return None
            rows = await conn.execute(
                select(evidence_requests)
                .where(
                    evidence_requests.c.case_id == case_id,
                    evidence_requests.c.party_role == role.value,
                )
                .order_by(evidence_requests.c.number)
            )
            requests = [evidence_request_from_row(row) for row in rows.mappings()]
            now_utc = to_utc(now)
            in_time = [r for r in requests if r.status == RequestStatus.OPEN and r.due_at > now_utc]
            # An open request past its time whose deadline the sweep has not reached yet is as
            # lapsed as one it has: the party answered after the date they were given.
            past = [r for r in requests if r not in in_time and r.status != RequestStatus.MET]
            if in_time:
                met = [await self._meet(conn, r, number, now) for r in in_time]
                answered = Answered(met, None)
            elif past:
                late = await self._add_answer(conn, past[-1], number, now, None)
                await conn.execute(
                    update(evidence)
                    .where(evidence.c.case_id == case_id, evidence.c.number == number)
                    .values(lateness=Verdict.LATE)
                )
                answered = Answered([], late)
            else:
                return None
            payload = {
                "evidence": number,
                "met": [r.number for r in answered.met],
                "late_after": answered.late.number if answered.late is not None else None,
            }
            await append_event(
                conn, case_id, None, Role.SYSTEM, "evidence.request_answered", payload, now
            )
            await enqueue(conn, news(answered), now)
            return answered

    async def _meet(
        self, conn: AsyncConnection, request: EvidenceRequest, number: int, now: datetime
    ) -> EvidenceRequest:
        if request.deadline_id is not None:
            await conn.execute(
                update(deadlines)
                .where(deadlines.c.id == request.deadline_id, deadlines.c.status == "pending")
                .values(status=DeadlineStatus.MET, closed_at=now, next_reminder_at=None)
            )
        return await self._add_answer(conn, request, number, now, RequestStatus.MET)

    async def _add_answer(
        self,
        conn: AsyncConnection,
        request: EvidenceRequest,
        number: int,
        now: datetime,
        status: str | None,
    ) -> EvidenceRequest:
        values: dict[str, object] = {"answers": [*request.answers, number]}
        if status is not None:
            values.update(status=status, closed_at=now)
        row = (
            (
                await conn.execute(
                    update(evidence_requests)
                    .where(evidence_requests.c.id == request.id)
                    .values(**values)
                    .returning(*evidence_requests.c)
                )
            )
            .mappings()
            .one()
        )
        return evidence_request_from_row(row)

    async def by_deadline(self, deadline_id: int) -> EvidenceRequest | None:
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(evidence_requests).where(
                            evidence_requests.c.deadline_id == deadline_id
                        )
                    )
                )
                .mappings()
                .first()
            )
            return None if row is None else evidence_request_from_row(row)

    async def lapse(
        self, deadline: Deadline, now: datetime, news: Sequence[OutboxMessage]
    ) -> EvidenceRequest | None:
        """The request's deadline passed: claim it (once), mark the request lapsed, put it on
        the record and queue `news`, together. None when another worker claimed it or the
        request was met meanwhile."""
        async with self._write() as conn:
            await _lock_case(conn, deadline.case_id)
            claimed = await conn.execute(
                update(deadlines)
                .where(deadlines.c.id == deadline.id, deadlines.c.status == "pending")
                .values(status=DeadlineStatus.FIRED, closed_at=now, next_reminder_at=None)
            )
            if claimed.rowcount != 1:
                return None
            row = (
                (
                    await conn.execute(
                        update(evidence_requests)
                        .where(
                            evidence_requests.c.deadline_id == deadline.id,
                            evidence_requests.c.status == RequestStatus.OPEN,
                        )
                        .values(status=RequestStatus.LAPSED, closed_at=now)
                        .returning(*evidence_requests.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            request = evidence_request_from_row(row)
            await append_event(
                conn,
                deadline.case_id,
                None,
                Role.SYSTEM,
                "evidence.request_lapsed",
                {"number": request.number, "party": request.party_role.value},
                now,
            )
            await enqueue(conn, news, now)
            return request

    async def judge_late(
        self,
        case_id: int,
        number: int,
        verdict: str,
        mediator_id: int,
        now: datetime,
        news: Sequence[OutboxMessage],
    ) -> bool:
        """The case's own mediator accepts a late item or leaves it out (once: False when the
        item is not late, was judged already, or the case is not theirs to act on)."""
        if verdict not in Verdict.JUDGED:
            raise ValueError(f"not a verdict: {verdict!r}")
        async with self._write() as conn:
            case = await _lock_case(conn, case_id)
            if (
                case is None
                or case.mediator_id != mediator_id
                or case.state not in SIDE_DEADLINE_STATES
            ):
                return False
            changed = await conn.execute(
                update(evidence)
                .where(
                    evidence.c.case_id == case_id,
                    evidence.c.number == number,
                    evidence.c.lateness == Verdict.LATE,
                )
                .values(lateness=verdict)
            )
            if changed.rowcount != 1:
                return False
            await append_event(
                conn,
                case_id,
                mediator_id,
                Role.MEDIATOR,
                f"evidence.late_{verdict}",
                {"evidence": number},
                now,
            )
            await enqueue(conn, news, now)
            return True
