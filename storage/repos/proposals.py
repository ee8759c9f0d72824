"""Proposals: structured settlement offers, numbered P1, P2, ... per case, and accepting one.

At most one proposal of a case is open: a new one supersedes the open one in the same
transaction. Rejecting, withdrawing and accepting are compare-and-sets on `status`. Accepting
changes the proposal, moves the case (the same guarded `apply_transition` as
`CaseRepo.transition`) and records the obligations in one transaction, so of two accepts at
the same instant (or an accept and a reject, or a double press) exactly one is applied and
there is exactly one set of obligations.

Every write takes the case lock before touching a proposal row, so on PostgreSQL writers to
one case queue in one order instead of deadlocking.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.rules import proposals as rules
from flows.rules.lifecycle import Action, LifecyclePolicy, Role
from storage.errors import Conflict, NotFound
from storage.records import Case, NewDeadline, NewObligation, Obligation, Proposal, ProposalStatus
from storage.repos.base import Repo, lock_case
from storage.repos.history import append_event
from storage.repos.obligations import insert_obligations
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.transitions import apply_transition, fetch_case
from storage.rows import proposal_from_row
from storage.tables import proposals
from storage.types import normalise_json

__all__ = ["ProposalRepo"]

_S = ProposalStatus
# The messages that show a new proposal to its readers, rendered from the stored proposal.
ProposalNews = Callable[[Proposal], Sequence[OutboxMessage]]
# The messages telling of a settlement, rendered from the accepted proposal and its obligations.
SettlementNews = Callable[[Proposal, "builtins.list[Obligation]"], Sequence[OutboxMessage]]
_P = proposals.c


class ProposalRepo(Repo):
    """Making, reading, rejecting, withdrawing and accepting proposals."""

    def __init__(self, engine: AsyncEngine, policy: LifecyclePolicy | None = None) -> None:
        super().__init__(engine)
        self._policy = policy or LifecyclePolicy()

    async def create(
        self,
        case_id: int,
        author_id: int,
        author_role: Role,
        terms: Mapping[str, Any],
        now: datetime,
        *,
        source: str = "party",
        news: ProposalNews | None = None,
    ) -> Proposal:
        """Record a proposal with the next number of the case; the open one is superseded.
        `news(proposal)` renders the messages that show it (their buttons name it), queued in
        the same transaction.

        `terms` is `flows.rules.proposals.Proposal.to_dict()` (ValueError for anything else;
        the flows validate the figures). A buyer or supplier must be that party of the case
        (Conflict). Events "proposal.made" {number, author_role, source, terms} and
        "proposal.superseded" {number, superseded_by} for the one it replaces.
        """
        body: dict[str, Any] = normalise_json(dict(terms))
        rules.Proposal.from_dict(body)  # refuses what the rules could not read back

        async def attempt() -> Proposal:
            async with self._write() as conn:
                await lock_case(conn, case_id)
                case = await _case(conn, case_id)
                _check_party(case, author_id, author_role)
                highest = await conn.scalar(
                    select(func.max(_P.number)).where(_P.case_id == case_id)
                )
                row = (
                    (
                        await conn.execute(
                            insert(proposals)
                            .values(
                                case_id=case_id,
                                number=1 if highest is None else int(highest) + 1,
                                author_id=author_id,
                                author_role=Role(author_role).value,
                                terms=body,
                                status=_S.OPEN,
                                source=source,
                                created_at=now,
                            )
                            .returning(*proposals.c)
                        )
                    )
                    .mappings()
                    .one()
                )
                made = proposal_from_row(row)
                replaced = await conn.execute(
                    update(proposals)
                    .where(_P.case_id == case_id, _P.status == _S.OPEN, _P.id != made.id)
                    .values(status=_S.SUPERSEDED, superseded_by=made.id, decided_at=now)
                    .returning(_P.number)
                )
                superseded = sorted(int(n) for n in replaced.scalars())
                await append_event(
                    conn,
                    case_id,
                    author_id,
                    author_role,
                    "proposal.made",
                    {
                        "number": made.number,
                        "author_role": made.author_role.value,
                        "source": source,
                        "terms": body,
                    },
                    now,
                )
                for number in superseded:
                    await append_event(
                        conn,
                        case_id,
                        author_id,
                        author_role,
                        "proposal.superseded",
                        {"number": number, "superseded_by": made.number},
                        now,
                    )
                if news is not None:
                    await enqueue(conn, news(made), now)
                return made

        return await self._retry_unique(attempt, f"proposals of case {case_id}")

    async def get(self, proposal_id: int) -> Proposal | None:
        async with self._read() as conn:
            return await _fetch(conn, _P.id == proposal_id)

    async def get_by_number(self, case_id: int, number: int) -> Proposal | None:
        """Proposal P`number` of the case."""
        async with self._read() as conn:
            return await _fetch(conn, _P.case_id == case_id, _P.number == number)

    async def list(self, case_id: int) -> builtins.list[Proposal]:
        """Every proposal of the case, P1 first."""
        async with self._read() as conn:
            result = await conn.execute(
                select(proposals).where(_P.case_id == case_id).order_by(_P.number)
            )
            return [proposal_from_row(row) for row in result.mappings()]

    async def open_for_case(self, case_id: int) -> Proposal | None:
        """The proposal waiting for an answer, if any (there is at most one)."""
        async with self._read() as conn:
            return await _fetch(conn, _P.case_id == case_id, _P.status == _S.OPEN)

    async def reject(self, proposal_id: int, user_id: int, role: Role, now: datetime) -> Proposal:
        """open -> rejected (event "proposal.rejected" {number}).

        Raises Conflict("proposal is <status>") when it is not open, Conflict("own proposal")
        for its author (who withdraws instead), Conflict when a buyer or supplier is not that
        party of the case.
        """
        async with self._write() as conn:
            proposal, case = await self._open_locked(conn, proposal_id)
            if proposal.author_id == user_id:
                raise Conflict("own proposal")
            _check_party(case, user_id, role)
            decided = await self._decide(conn, proposal, _S.REJECTED, user_id, now)
            await append_event(
                conn,
                proposal.case_id,
                user_id,
                role,
                "proposal.rejected",
                {"number": proposal.number},
                now,
            )
            return decided

    async def withdraw(self, proposal_id: int, user_id: int, role: Role, now: datetime) -> Proposal:
        """open -> withdrawn, by its author only (event "proposal.withdrawn" {number})."""
        async with self._write() as conn:
            proposal, _case = await self._open_locked(conn, proposal_id)
            if proposal.author_id != user_id:
                raise Conflict("not the author")
            decided = await self._decide(conn, proposal, _S.WITHDRAWN, user_id, now)
            await append_event(
                conn,
                proposal.case_id,
                user_id,
                role,
                "proposal.withdrawn",
                {"number": proposal.number},
                now,
            )
            return decided

    async def accept(
        self,
        proposal_id: int,
        user_id: int,
        role: Role,
        now: datetime,
        *,
        action: Action,
        new_deadline: NewDeadline,
        obligations: Sequence[NewObligation],
        expected_case_version: int | None = None,
        news: SettlementNews | None = None,
    ) -> tuple[Proposal, Case, builtins.list[Obligation]]:
        """Accept the proposal and settle the case, in one transaction.

        open -> accepted (Conflict("proposal is <status>") otherwise; Conflict("own
        proposal") for its author), then the case transition `action` (ACCEPT_PROPOSAL,
        SUPPLIER_ACCEPT or MEDIATION_SETTLE; its guards raise IllegalTransition, a stale
        `expected_case_version` ConcurrentUpdate) with `new_deadline`, then `obligations`.
        Events: "proposal.accepted" {number}, "case.transition" (with "proposal": number),
        "obligation.created" for each. `news(accepted, obligations)` renders the messages
        telling of it (their buttons name the new obligations), queued in the same
        transaction. Any refusal writes nothing.
        """
        async with self._write() as conn:
            proposal, _case = await self._open_locked(conn, proposal_id)
            if proposal.author_id == user_id:
                raise Conflict("own proposal")
            accepted = await self._decide(conn, proposal, _S.ACCEPTED, user_id, now)
            await append_event(
                conn,
                proposal.case_id,
                user_id,
                role,
                "proposal.accepted",
                {"number": proposal.number},
                now,
            )
            case = await apply_transition(
                conn,
                proposal.case_id,
                action,
                user_id,
                role,
                now,
                policy=self._policy,
                payload={"proposal": proposal.number},
                new_deadline=new_deadline,
                expected_version=expected_case_version,
            )
            created = await insert_obligations(
                conn, proposal.case_id, obligations, now, user_id, role, proposal=accepted
            )
            if news is not None:
                await enqueue(conn, news(accepted, created), now)
            return accepted, case, created

    async def _open_locked(self, conn: AsyncConnection, proposal_id: int) -> tuple[Proposal, Case]:
        """The proposal, read again under its case's lock, which must be open; and its case."""
        found = await _fetch(conn, _P.id == proposal_id)
        if found is None:
            raise NotFound(f"proposal {proposal_id} not found")
        await lock_case(conn, found.case_id)
        proposal = await _fetch(conn, _P.id == proposal_id)
        assert proposal is not None  # proposals are never deleted
        if proposal.status != _S.OPEN:
            raise Conflict(f"proposal is {proposal.status}")
        return proposal, await _case(conn, proposal.case_id)

    async def _decide(
        self, conn: AsyncConnection, proposal: Proposal, status: str, user_id: int, now: datetime
    ) -> Proposal:
        """Compare-and-set open -> `status`."""
        row = (
            (
                await conn.execute(
                    update(proposals)
                    .where(_P.id == proposal.id, _P.status == _S.OPEN)
                    .values(status=status, decided_at=now, decided_by=user_id)
                    .returning(*proposals.c)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise Conflict(f"proposal {proposal.id} changed meanwhile")
        return proposal_from_row(row)


def _check_party(case: Case, user_id: int, role: Role) -> None:
    """A buyer or supplier acts only as that party of this case."""
    party = {Role.BUYER: case.buyer_id, Role.SUPPLIER: case.supplier_id}
    if role in party and user_id != party[role]:
        raise Conflict(f"user {user_id} is not this case's {role}")


async def _case(conn: AsyncConnection, case_id: int) -> Case:
    case = await fetch_case(conn, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case


async def _fetch(conn: AsyncConnection, *where: Any) -> Proposal | None:
    row = (await conn.execute(select(proposals).where(*where))).mappings().first()
    return None if row is None else proposal_from_row(row)
