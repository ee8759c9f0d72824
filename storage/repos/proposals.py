"""Proposals: structured settlement offers, numbered P1, P2, ... per case, and accepting one.

At most one proposal of a case is open: a new one supersedes the open one in the same
transaction. Rejecting, withdrawing and accepting are compare-and-sets on `status`. Accepting
changes the proposal, moves the case (the same guarded `apply_transition` as
`CaseRepo.transition`) and records the obligations in one transaction, so of two accepts at
the same instant (or an accept and a reject, or a double press) exactly one is applied and
there is exactly one set of obligations. `settle` makes and accepts terms agreed elsewhere in
one transaction; `create` takes a counter-proposal's transition (`move=`) and the builder
(`clear_input=`) into its own.

Every write takes the case lock before touching a proposal row, so on PostgreSQL writers to
one case queue in one order instead of deadlocking.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.rules.lifecycle import Action, LifecyclePolicy, Role
from storage.errors import Conflict, NotFound
from storage.records import Case, NewDeadline, NewObligation, Obligation, Proposal, ProposalStatus
from storage.repos.base import Repo, joined_case, lock_case, with_its_case
from storage.repos.history import append_event
from storage.repos.inputs import InputKey, delete_input
from storage.repos.obligations import insert_obligations
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.proposal_rows import (
    check_party,
    fetch_proposal,
    insert_proposal,
    mediators_open,
    proposal_body,
    read_case,
)
from storage.repos.transitions import Move, apply_move, apply_transition
from storage.rows import proposal_from_row
from storage.tables import proposals

__all__ = ["ProposalRepo"]

_S = ProposalStatus
# The messages that show a new proposal to its readers, rendered from the stored proposal.
ProposalNews = Callable[[Proposal], Sequence[OutboxMessage]]
# The messages telling of a settlement, rendered from the accepted proposal and its obligations.
SettlementNews = Callable[[Proposal, "builtins.list[Obligation]"], Sequence[OutboxMessage]]
# A test-only hook run just before a commit (the crash tests kill the process there).
Hook = Callable[[], None]
_P = proposals.c
_WITH_CASE = with_its_case(proposals)  # a press on a proposal's buttons reads both


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
        move: Move | None = None,
        clear_input: InputKey | None = None,
        before_commit: Hook | None = None,
    ) -> Proposal:
        """Record a proposal with the next number of the case; the open one is superseded.
        `news(proposal)` renders the messages that show it (their buttons name it), queued in
        the same transaction.

        The rest of the step commits with it, or nothing does: `move` is a case transition
        applied first (the supplier's response when their answer is a counter-proposal; its
        refusals raise as `apply_transition`'s do), `clear_input` the pending input (user,
        chat) the proposal was built in. `before_commit` is a test hook (crash tests).

        `terms` is `flows.rules.proposals.Proposal.to_dict()` (ValueError for anything else;
        the flows validate the figures). A buyer or supplier must be that party of the case
        (Conflict), and a party makes none while a mediator's proposal is open (Conflict).
        Events "proposal.made" {number, author_role, source, terms} and
        "proposal.superseded" {number, superseded_by} for the one it replaces.
        """
        body = proposal_body(terms)

        async def attempt() -> Proposal:
            async with self._write() as conn:
                await lock_case(conn, case_id)
                if Role(author_role) is not Role.MEDIATOR and await mediators_open(conn, case_id):
                    # The parties answer the mediator's proposal before making their own.
                    raise Conflict("a mediator's proposal is open")
                if move is not None:
                    await apply_move(conn, case_id, move, now, self._policy)
                made = await insert_proposal(
                    conn, case_id, author_id, author_role, body, now, source
                )
                await delete_input(conn, clear_input)
                if news is not None:
                    await enqueue(conn, news(made), now)
                if before_commit is not None:
                    before_commit()
                return made

        return await self._retry_unique(attempt, f"proposals of case {case_id}")

    async def settle(
        self,
        case_id: int,
        author_id: int,
        author_role: Role,
        terms: Mapping[str, Any],
        user_id: int,
        role: Role,
        now: datetime,
        *,
        source: str,
        action: Action,
        new_deadline: NewDeadline,
        obligations: Sequence[NewObligation],
        expected_case_version: int | None = None,
        news: SettlementNews | None = None,
    ) -> tuple[Proposal, Case, builtins.list[Obligation]]:
        """Record terms both sides already agreed elsewhere (the claim's requested outcome,
        a blind-bid midpoint) as a proposal and accept it for `user_id` at once: `create`
        and `accept` in ONE transaction, so a crash or a refusal never leaves an open
        proposal that nobody is asked about. Refusals as `accept`'s; any writes nothing."""
        body = proposal_body(terms)

        async def attempt() -> tuple[Proposal, Case, builtins.list[Obligation]]:
            async with self._write() as conn:
                await lock_case(conn, case_id)
                made = await insert_proposal(
                    conn, case_id, author_id, author_role, body, now, source
                )
                return await self._accept_in(
                    conn,
                    made,
                    user_id,
                    role,
                    now,
                    action=action,
                    new_deadline=new_deadline,
                    obligations=obligations,
                    expected_case_version=expected_case_version,
                    news=news,
                )

        return await self._retry_unique(attempt, f"proposals of case {case_id}")

    async def get(self, proposal_id: int) -> Proposal | None:
        async with self._read_one() as conn:
            return await fetch_proposal(conn, _P.id == proposal_id)

    async def with_case(self, proposal_id: int) -> tuple[Proposal, Case] | None:
        """The proposal and its case, read in one statement (a press on its buttons)."""
        async with self._read_one() as conn:
            row = (await conn.execute(_WITH_CASE, {"row_id": proposal_id})).mappings().first()
        return None if row is None else (proposal_from_row(row), joined_case(row))

    async def case_of(self, proposal_id: int) -> int | None:
        """The case of the proposal (None: no such proposal), read once per proposal."""
        return await self._case_of(proposals, proposal_id)

    async def get_by_number(self, case_id: int, number: int) -> Proposal | None:
        """Proposal P`number` of the case."""
        async with self._read() as conn:
            return await fetch_proposal(conn, _P.case_id == case_id, _P.number == number)

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
            return await fetch_proposal(conn, _P.case_id == case_id, _P.status == _S.OPEN)

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
            check_party(case, user_id, role)
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
            if proposal.author_role is Role.MEDIATOR:  # both parties: `accept_as_party`
                raise Conflict("a mediator's proposal is accepted by both parties")
            return await self._accept_in(
                conn,
                proposal,
                user_id,
                role,
                now,
                action=action,
                new_deadline=new_deadline,
                obligations=obligations,
                expected_case_version=expected_case_version,
                news=news,
            )

    async def _accept_in(
        self,
        conn: AsyncConnection,
        proposal: Proposal,
        user_id: int,
        role: Role,
        now: datetime,
        *,
        action: Action,
        new_deadline: NewDeadline,
        obligations: Sequence[NewObligation],
        expected_case_version: int | None,
        news: SettlementNews | None,
    ) -> tuple[Proposal, Case, builtins.list[Obligation]]:
        """The body of `accept`, in the caller's transaction (the case locked, `proposal` open)."""
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
        found = await fetch_proposal(conn, _P.id == proposal_id)
        if found is None:
            raise NotFound(f"proposal {proposal_id} not found")
        await lock_case(conn, found.case_id)
        proposal = await fetch_proposal(conn, _P.id == proposal_id)
        assert proposal is not None  # proposals are never deleted
        if proposal.status != _S.OPEN:
            raise Conflict(f"proposal is {proposal.status}")
        return proposal, await read_case(conn, proposal.case_id)

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
