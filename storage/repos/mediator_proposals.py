"""A mediator's proposal: both parties must accept it, the first acceptance waits for the second.

A mediator's proposal is an ordinary proposal (numbered in the case's sequence, author_role
"mediator"); what is its own is that one acceptance does not settle. Each party's acceptance
is a row of `proposal_acceptances` (unique per proposal and party). `accept_as_party` takes the
case lock, reads the acceptances again under it, and then either records the first acceptance
with its news, or records the second and settles the case (the same `_accept_in` as a party's
proposal: proposal, transition, obligations, news in one transaction). Two parties pressing at
the same moment queue on the lock, so exactly one of them settles; a re-delivered press of the
same party finds its own row and changes nothing.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.lifecycle import Action, CaseState, Role
from storage.errors import Conflict
from storage.records import Case, NewDeadline, NewObligation, Obligation, Proposal
from storage.repos.history import append_event
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.proposal_rows import check_party
from storage.repos.proposals import ProposalRepo, SettlementNews
from storage.rows import _dt
from storage.tables import proposal_acceptances

__all__ = ["AcceptOutcome", "Acceptance", "MediatorProposalRepo"]

_A = proposal_acceptances.c
PARTY_ROLES = (Role.BUYER, Role.SUPPLIER)
# The messages telling that one party accepted and the other is awaited.
FirstNews = Callable[[Proposal], Sequence[OutboxMessage]]


class AcceptOutcome(StrEnum):
    RECORDED = "recorded"  # the first party's acceptance: the other is awaited
    ALREADY = "already"  # this party had accepted before (a double or re-delivered press)
    SETTLED = "settled"  # the second acceptance: the case is settled


@dataclass(frozen=True)
class Acceptance:
    """One party's acceptance of a mediator's proposal."""

    proposal_id: int
    party_role: Role
    user_id: int
    accepted_at: datetime


@dataclass(frozen=True)
class Accepted:
    """What `accept_as_party` did, with the proposal and case as they are after it."""

    outcome: AcceptOutcome
    proposal: Proposal
    case: Case
    obligations: builtins.list[Obligation]


async def _acceptances(conn: AsyncConnection, proposal_id: int) -> builtins.list[Acceptance]:
    result = await conn.execute(
        select(proposal_acceptances).where(_A.proposal_id == proposal_id).order_by(_A.id)
    )
    return [
        Acceptance(
            int(row["proposal_id"]),
            Role(str(row["party_role"])),
            int(row["user_id"]),
            _dt(row["accepted_at"]),
        )
        for row in result.mappings()
    ]


class MediatorProposalRepo(ProposalRepo):
    """The parties' acceptances of a mediator's proposal."""

    async def acceptances(self, proposal_id: int) -> builtins.list[Acceptance]:
        """The parties who accepted the proposal so far, first first."""
        async with self._read() as conn:
            return await _acceptances(conn, proposal_id)

    async def accept_as_party(
        self,
        proposal_id: int,
        user_id: int,
        role: Role,
        now: datetime,
        *,
        first_news: FirstNews,
        action: Action,
        new_deadline: NewDeadline,
        obligations: Sequence[NewObligation],
        news: SettlementNews | None = None,
    ) -> Accepted:
        """`role`'s acceptance of the mediator's proposal, in one transaction.

        Refused with Conflict (nothing written) when the proposal is not open, not a
        mediator's, the case is not in mediation, or `user_id` is not that party. The first
        party's acceptance is recorded (event "proposal.party_accepted" {number, role}) with
        `first_news(proposal)`; the same party again changes nothing (ALREADY); the second
        party's settles as `ProposalRepo.accept` does (`action`, `new_deadline`,
        `obligations`, `news`), its guards raising as there.
        """
        async with self._write() as conn:
            proposal, case = await self._open_locked(conn, proposal_id)
            if proposal.author_role is not Role.MEDIATOR:
                raise Conflict("not a mediator's proposal")
            if role not in PARTY_ROLES:
                raise Conflict(f"a {role} does not accept proposals")
            check_party(case, user_id, role)
            if case.state is not CaseState.MEDIATION:
                raise Conflict(f"case is {case.state}")
            before = await _acceptances(conn, proposal.id)
            if any(a.party_role is role for a in before):
                return Accepted(AcceptOutcome.ALREADY, proposal, case, [])
            await conn.execute(
                insert(proposal_acceptances).values(
                    proposal_id=proposal.id,
                    case_id=proposal.case_id,
                    party_role=role.value,
                    user_id=user_id,
                    accepted_at=now,
                )
            )
            await append_event(
                conn,
                proposal.case_id,
                user_id,
                role,
                "proposal.party_accepted",
                {"number": proposal.number, "role": role.value},
                now,
            )
            if not before:
                await enqueue(conn, first_news(proposal), now)
                return Accepted(AcceptOutcome.RECORDED, proposal, case, [])
            accepted, case, created = await self._accept_in(
                conn,
                proposal,
                user_id,
                role,
                now,
                action=action,
                new_deadline=new_deadline,
                obligations=obligations,
                expected_case_version=None,  # the lock and the open proposal decide
                news=news,
            )
            return Accepted(AcceptOutcome.SETTLED, accepted, case, created)
