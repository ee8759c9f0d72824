"""A mediator's proposal: the first party's acceptance waits, the second settles exactly once,
a re-delivered press changes nothing, and two parties accepting at the same moment (two workers)
give exactly one settlement; while it is open the parties make no proposal of their own."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from flows.rules import proposals as rules
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from storage import Case, Conflict, Database, NewObligation, OutboxMessage
from storage import Proposal as StoredProposal
from storage.repos.mediator_proposals import Accepted, AcceptOutcome
from tests.storage.factory import BUYER, MEDIATOR, SUPPLIER, deadline, negotiation_case

PAID = Decimal("1200.00")
TERMS = rules.Proposal((rules.PartialRefund(amount=Decimal("400.00")),)).to_dict()


async def _in_mediation(db: Database, now: datetime) -> Case:
    """A case in mediation that MEDIATOR took."""
    case = await negotiation_case(db, now)
    case = await db.cases.transition(
        case.id, Action.REQUEST_MEDIATION, SUPPLIER, Role.SUPPLIER, now,
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now),
    )  # fmt: skip
    return await db.cases.transition(
        case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now,
        new_deadline=deadline(DeadlineKind.MEDIATION, now),
    )  # fmt: skip


def _first_news(proposal: StoredProposal) -> list[OutboxMessage]:
    return [OutboxMessage(MEDIATOR, "one accepted", f"p:{proposal.id}:first", proposal.case_id)]


async def _accept(db: Database, proposal_id: int, user: int, role: Role, at: datetime) -> Accepted:
    duties = rules.obligations(rules.Proposal.from_dict(TERMS), PAID, "USD", at, 7)
    kw: dict[str, Any] = {
        "first_news": _first_news,
        "action": Action.MEDIATION_SETTLE,
        "new_deadline": deadline(DeadlineKind.FULFILMENT, at),
        "obligations": [NewObligation.from_rule(d, "USD") for d in duties],
    }
    return await db.mediator_proposals.accept_as_party(proposal_id, user, role, at, **kw)


async def test_the_first_acceptance_waits_and_the_second_settles(
    db: Database, now: datetime
) -> None:
    case = await _in_mediation(db, now)
    party = await db.proposals.create(case.id, BUYER, Role.BUYER, TERMS, now, source="party")
    made = await db.proposals.create(
        case.id, MEDIATOR, Role.MEDIATOR, TERMS, now, source="mediator"
    )
    assert made.number == party.number + 1 and made.author_role is Role.MEDIATOR
    # It superseded the party's open proposal, as a counter-proposal does.
    old = await db.proposals.get(party.id)
    assert old is not None and old.status == "superseded" and old.superseded_by == made.id

    # While it is open, a party makes no proposal of its own.
    with pytest.raises(Conflict):
        await db.proposals.create(case.id, SUPPLIER, Role.SUPPLIER, TERMS, now)
    # Nobody but the case's parties accepts; the mediator neither.
    with pytest.raises(Conflict):
        await _accept(db, made.id, MEDIATOR, Role.MEDIATOR, now)
    with pytest.raises(Conflict):
        await _accept(db, made.id, MEDIATOR, Role.BUYER, now)

    first = await _accept(db, made.id, BUYER, Role.BUYER, now)
    assert first.outcome is AcceptOutcome.RECORDED and first.case.state is CaseState.MEDIATION
    again = await _accept(db, made.id, BUYER, Role.BUYER, now + timedelta(minutes=1))
    assert again.outcome is AcceptOutcome.ALREADY
    assert [a.party_role for a in await db.mediator_proposals.acceptances(made.id)] == [Role.BUYER]
    stored = await db.cases.get(case.id)
    assert stored is not None and stored.state is CaseState.MEDIATION
    assert await db.obligations.list(case.id) == []
    queued = [m for m in await db.outbox.for_case(case.id) if "first" in m.dedupe_key]
    assert len(queued) == 1  # the first acceptance's news, once

    second = await _accept(db, made.id, SUPPLIER, Role.SUPPLIER, now + timedelta(hours=1))
    assert second.outcome is AcceptOutcome.SETTLED and second.case.state is CaseState.SETTLED
    assert second.proposal.status == "accepted" and len(second.obligations) == 1
    with pytest.raises(Conflict):  # decided: a late press changes nothing
        await _accept(db, made.id, BUYER, Role.BUYER, now + timedelta(hours=2))
    kinds = [e.kind for e in await db.history.list(case.id) if e.kind.startswith("proposal.")]
    assert kinds.count("proposal.party_accepted") == 2 and kinds.count("proposal.accepted") == 1


async def test_two_parties_accepting_at_once_settle_exactly_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await _in_mediation(db, now)
    made = await db.proposals.create(
        case.id, MEDIATOR, Role.MEDIATOR, TERMS, now, source="mediator"
    )
    at = now + timedelta(minutes=5)
    results = await asyncio.gather(
        _accept(db, made.id, BUYER, Role.BUYER, at),
        _accept(other_worker, made.id, SUPPLIER, Role.SUPPLIER, at),
    )
    assert sorted(r.outcome for r in results) == [AcceptOutcome.RECORDED, AcceptOutcome.SETTLED]
    stored = await db.cases.get(case.id)
    assert stored is not None and stored.state is CaseState.SETTLED
    assert len(await db.obligations.list(case.id)) == 1
    assert len(await db.mediator_proposals.acceptances(made.id)) == 2
    settled = [
        e for e in await db.history.list(case.id) if e.payload.get("action") == "mediation_settle"
    ]
    assert len(settled) == 1


async def test_a_rejection_ends_it_and_an_acceptance_after_changes_nothing(
    db: Database, now: datetime
) -> None:
    case = await _in_mediation(db, now)
    made = await db.proposals.create(
        case.id, MEDIATOR, Role.MEDIATOR, TERMS, now, source="mediator"
    )
    await _accept(db, made.id, BUYER, Role.BUYER, now)
    rejected = await db.proposals.reject(made.id, SUPPLIER, Role.SUPPLIER, now)
    assert rejected.status == "rejected"
    with pytest.raises(Conflict):
        await _accept(db, made.id, SUPPLIER, Role.SUPPLIER, now)
    stored = await db.cases.get(case.id)
    assert stored is not None and stored.state is CaseState.MEDIATION
    # Answered: the parties may propose again.
    again = await db.proposals.create(case.id, SUPPLIER, Role.SUPPLIER, TERMS, now)
    assert again.status == "open"


async def test_handing_the_case_back_withdraws_the_mediators_open_proposal(
    db: Database, now: datetime
) -> None:
    """In RELEASE_MEDIATOR's own transaction: a half-accepted proposal of a mediator who left
    can no longer settle the case."""
    case = await _in_mediation(db, now)
    made = await db.proposals.create(
        case.id, MEDIATOR, Role.MEDIATOR, TERMS, now, source="mediator"
    )
    await _accept(db, made.id, SUPPLIER, Role.SUPPLIER, now)
    later = now + timedelta(hours=1)
    await db.cases.transition(
        case.id, Action.RELEASE_MEDIATOR, MEDIATOR, Role.MEDIATOR, later, reason="conflict",
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, later),
    )  # fmt: skip
    withdrawn = await db.proposals.get(made.id)
    assert withdrawn is not None and withdrawn.status == "withdrawn"
    assert withdrawn.decided_by == MEDIATOR and withdrawn.decided_at == later
    with pytest.raises(Conflict):
        await _accept(db, made.id, BUYER, Role.BUYER, later)
    moved = await db.cases.get(case.id)
    assert moved is not None and moved.state is CaseState.MEDIATION and moved.mediator_id is None
    assert await db.obligations.list(case.id) == []
    assert (await db.history.verify(case.id)).ok
