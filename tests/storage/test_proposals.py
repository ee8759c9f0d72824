"""Proposals: numbering, superseding, rejecting, and an accept that settles all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from flows.rules import proposals as rules
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from storage import (
    Case,
    ConcurrentUpdate,
    Conflict,
    Database,
    IllegalTransition,
    NewObligation,
    NotFound,
    Proposal,
)
from tests.storage.factory import (
    BUYER,
    MEDIATOR,
    STRANGER,
    SUPPLIER,
    deadline,
    negotiation_case,
    submitted_case,
)

PAID = Decimal("1200.00")


def _terms(*terms: rules.Term) -> dict[str, Any]:
    return rules.Proposal(terms).to_dict()


PARTIAL = _terms(rules.PartialRefund(amount=Decimal("300.00")))
RETURN = _terms(rules.ReturnAndRefund("supplier"), rules.Replacement(2, date(2026, 12, 20)))


def _obligations(terms: dict[str, Any], at: datetime) -> list[NewObligation]:
    proposal = rules.Proposal.from_dict(terms)
    return [
        NewObligation.from_rule(o, "USD")
        for o in rules.obligations(proposal, PAID, "USD", at, fulfilment_days=7)
    ]


async def _accept(
    db: Database,
    proposal: Proposal,
    user: int,
    role: Role,
    at: datetime,
    action: Action = Action.ACCEPT_PROPOSAL,
    **kw: Any,
) -> tuple[Proposal, Case, list[Any]]:
    return await db.proposals.accept(
        proposal.id,
        user,
        role,
        at,
        action=action,
        new_deadline=deadline(DeadlineKind.FULFILMENT, at),
        obligations=_obligations(proposal.terms, at),
        **kw,
    )


def _kinds(events: Sequence[Any], prefix: str) -> list[str]:
    return [e.kind for e in events if e.kind.startswith(prefix)]


async def test_create_numbers_and_supersedes(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    p1 = await db.proposals.create(case.id, SUPPLIER, Role.SUPPLIER, PARTIAL, now)
    assert (p1.number, p1.status, p1.source, p1.author_role) == (1, "open", "party", Role.SUPPLIER)
    assert p1.terms == PARTIAL and p1.rule() == rules.Proposal.from_dict(PARTIAL)
    assert (p1.decided_at, p1.decided_by, p1.superseded_by) == (None, None, None)

    later = now + timedelta(hours=1)
    p2 = await db.proposals.create(case.id, BUYER, Role.BUYER, RETURN, later)
    assert (p2.number, p2.status) == (2, "open")
    old = await db.proposals.get(p1.id)
    assert old is not None
    assert (old.status, old.superseded_by, old.decided_at) == ("superseded", p2.id, later)
    assert await db.proposals.open_for_case(case.id) == p2
    assert await db.proposals.get_by_number(case.id, 2) == p2
    assert await db.proposals.get_by_number(case.id, 3) is None
    assert [p.number for p in await db.proposals.list(case.id)] == [1, 2]

    events = [e for e in await db.history.list(case.id) if e.kind.startswith("proposal.")]
    assert [(e.kind, e.payload.get("number")) for e in events] == [
        ("proposal.made", 1),
        ("proposal.made", 2),
        ("proposal.superseded", 1),
    ]
    assert events[1].payload == {
        "number": 2,
        "author_role": "buyer",
        "source": "party",
        "terms": RETURN,
    }
    assert events[2].payload == {"number": 1, "superseded_by": 2}
    assert (await db.history.verify(case.id)).ok


async def test_create_refuses_bad_terms_and_strangers(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    with pytest.raises(ValueError):
        await db.proposals.create(case.id, BUYER, Role.BUYER, {"refund": "all"}, now)
    with pytest.raises(Conflict, match="not this case's supplier"):
        await db.proposals.create(case.id, STRANGER, Role.SUPPLIER, PARTIAL, now)
    with pytest.raises(NotFound):
        await db.proposals.create(case.id + 404, BUYER, Role.BUYER, PARTIAL, now)
    assert await db.proposals.list(case.id) == []
    mediator = await db.proposals.create(
        case.id, MEDIATOR, Role.MEDIATOR, PARTIAL, now, source="mediator"
    )
    assert (mediator.author_role, mediator.source) == (Role.MEDIATOR, "mediator")


async def test_reject_and_withdraw(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    p1 = await db.proposals.create(case.id, SUPPLIER, Role.SUPPLIER, PARTIAL, now)
    with pytest.raises(Conflict, match="own proposal"):
        await db.proposals.reject(p1.id, SUPPLIER, Role.SUPPLIER, now)
    with pytest.raises(Conflict, match="not this case's buyer"):
        await db.proposals.reject(p1.id, STRANGER, Role.BUYER, now)
    rejected = await db.proposals.reject(p1.id, BUYER, Role.BUYER, now + timedelta(minutes=5))
    assert (rejected.status, rejected.decided_by) == ("rejected", BUYER)
    assert rejected.decided_at == now + timedelta(minutes=5)
    with pytest.raises(Conflict, match="proposal is rejected"):
        await db.proposals.reject(p1.id, BUYER, Role.BUYER, now)
    assert await db.proposals.open_for_case(case.id) is None

    p2 = await db.proposals.create(case.id, BUYER, Role.BUYER, RETURN, now)
    with pytest.raises(Conflict, match="not the author"):
        await db.proposals.withdraw(p2.id, SUPPLIER, Role.SUPPLIER, now)
    withdrawn = await db.proposals.withdraw(p2.id, BUYER, Role.BUYER, now)
    assert withdrawn.status == "withdrawn"
    with pytest.raises(NotFound):
        await db.proposals.reject(p2.id + 404, BUYER, Role.BUYER, now)
    assert _kinds(await db.history.list(case.id), "proposal.") == [
        "proposal.made",
        "proposal.rejected",
        "proposal.made",
        "proposal.withdrawn",
    ]


async def test_accept_settles_and_records_obligations(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, RETURN, now)
    at = now + timedelta(hours=2)
    accepted, settled, obligations = await _accept(
        db, proposal, SUPPLIER, Role.SUPPLIER, at, expected_case_version=case.version
    )
    assert (accepted.status, accepted.decided_by, accepted.decided_at) == (
        "accepted",
        SUPPLIER,
        at,
    )
    assert settled.state is CaseState.SETTLED and settled.version == case.version + 1
    assert await db.cases.get(case.id) == settled
    assert [d.kind for d in await db.deadlines.pending_for_case(case.id)] == [
        DeadlineKind.FULFILMENT
    ]
    # in the rules' order (by due time): return in 7 days, refund 7 days later, ship by 20 Dec
    assert [(o.number, o.party_role, o.kind, o.amount, o.currency) for o in obligations] == [
        (1, Role.BUYER, "return_goods", None, None),
        (2, Role.SUPPLIER, "refund", PAID, "USD"),
        (3, Role.SUPPLIER, "ship_replacement", None, None),
    ]
    assert [o.due_at for o in obligations] == [o.due_at for o in _obligations(RETURN, at)]
    assert all(o.proposal_id == proposal.id and o.status == "pending" for o in obligations)
    assert await db.obligations.list(case.id) == obligations
    assert obligations[1].details == {
        "currency": "USD",
        "after": "return_goods",
        "freight_paid_by": "supplier",
    }

    events = await db.history.list(case.id)
    tail = [e for e in events if e.created_at == at]
    assert [e.kind for e in tail] == ["proposal.accepted", "case.transition"] + [
        "obligation.created"
    ] * 3
    assert tail[1].payload["proposal"] == proposal.number
    assert tail[3].payload == {
        "number": 2,
        "proposal": proposal.number,
        "party_role": "supplier",
        "kind": "refund",
        "amount": "1200.00",
        "currency": "USD",
        "due_at": obligations[1].due_at.isoformat(),
        "details": obligations[1].details,
    }
    assert (await db.history.verify(case.id)).ok


async def test_accept_refusals_write_nothing(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    proposal = await db.proposals.create(case.id, SUPPLIER, Role.SUPPLIER, PARTIAL, now)
    before = (await db.history.list(case.id), await db.cases.get(case.id))

    with pytest.raises(Conflict, match="own proposal"):
        await _accept(db, proposal, SUPPLIER, Role.SUPPLIER, now)
    with pytest.raises(IllegalTransition):  # the wrong transition for a case in negotiation
        await _accept(db, proposal, BUYER, Role.BUYER, now, Action.MEDIATION_SETTLE)
    with pytest.raises(IllegalTransition):  # not the case's buyer
        await _accept(db, proposal, STRANGER, Role.BUYER, now)
    with pytest.raises(ConcurrentUpdate):
        await _accept(db, proposal, BUYER, Role.BUYER, now, expected_case_version=1)
    with pytest.raises(ValueError, match="starts"):
        await db.proposals.accept(
            proposal.id,
            BUYER,
            Role.BUYER,
            now,
            action=Action.ACCEPT_PROPOSAL,
            new_deadline=deadline(DeadlineKind.MEDIATION, now),
            obligations=[],
        )

    assert (await db.history.list(case.id), await db.cases.get(case.id)) == before
    assert await db.proposals.open_for_case(case.id) == proposal
    assert await db.obligations.list(case.id) == []


async def test_supplier_accepts_the_claim_at_once(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    claim = await db.proposals.create(
        case.id, BUYER, Role.BUYER, _terms(rules.FullRefund()), now, source="claim"
    )
    _, settled, [refund] = await _accept(
        db, claim, SUPPLIER, Role.SUPPLIER, now, Action.SUPPLIER_ACCEPT
    )
    assert settled.state is CaseState.SETTLED
    assert (refund.amount, refund.currency, refund.number) == (PAID, "USD", 1)


async def test_obligation_numbers_continue_across_settlements(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, PARTIAL, now)
    await _accept(db, proposal, SUPPLIER, Role.SUPPLIER, now)
    # the fulfilment is disputed, the case goes to mediation and settles there again
    await db.cases.transition(case.id, Action.DISPUTE_FULFILMENT, BUYER, Role.BUYER, now)
    await db.cases.transition(case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now)
    # (a party's proposal: a mediator's needs both parties, tests/storage/test_mediator_proposals)
    mediated = await db.proposals.create(case.id, SUPPLIER, Role.SUPPLIER, RETURN, now)
    _, settled, again = await _accept(db, mediated, BUYER, Role.BUYER, now, Action.MEDIATION_SETTLE)
    assert settled.state is CaseState.SETTLED
    assert [o.number for o in await db.obligations.list(case.id)] == [1, 2, 3, 4]
    assert [o.number for o in again] == [2, 3, 4]


def _outcomes(results: Sequence[object]) -> tuple[list[object], list[BaseException]]:
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    return won, lost


async def test_one_party_alone_cannot_settle_on_a_mediators_proposal(
    db: Database, other_worker: Database, now: datetime
) -> None:
    """Both parties must accept a mediator's proposal: `accept` (one party's, which settles)
    refuses it for either, even at the same instant; `accept_as_party` is its way
    (tests/storage/test_mediator_proposals.py races the two acceptances)."""
    case = await submitted_case(db, now)
    await db.cases.transition(case.id, Action.REQUEST_MEDIATION, SUPPLIER, Role.SUPPLIER, now)
    await db.cases.transition(case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now)
    proposal = await db.proposals.create(
        case.id, MEDIATOR, Role.MEDIATOR, RETURN, now, source="mediator"
    )
    at = now + timedelta(minutes=1)
    results = await asyncio.gather(
        _accept(db, proposal, BUYER, Role.BUYER, at, Action.MEDIATION_SETTLE),
        _accept(other_worker, proposal, SUPPLIER, Role.SUPPLIER, at, Action.MEDIATION_SETTLE),
        return_exceptions=True,
    )
    won, lost = _outcomes(results)
    assert won == [] and all(isinstance(e, Conflict) for e in lost)
    assert await db.obligations.list(case.id) == []
    stored = await db.proposals.get(proposal.id)
    assert stored is not None and stored.status == "open"


async def test_double_press_of_accept(db: Database, other_worker: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, RETURN, now)
    results = await asyncio.gather(
        *(
            _accept(worker, proposal, SUPPLIER, Role.SUPPLIER, now)
            for worker in (db, other_worker, db, other_worker)
        ),
        return_exceptions=True,
    )
    won, lost = _outcomes(results)
    assert len(won) == 1 and len(lost) == 3
    assert all(isinstance(e, Conflict | ConcurrentUpdate | IllegalTransition) for e in lost)
    await _assert_settled_once(db, case.id, proposal)


async def test_accept_racing_reject(db: Database, other_worker: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, PARTIAL, now)
    results = await asyncio.gather(
        _accept(db, proposal, SUPPLIER, Role.SUPPLIER, now),
        other_worker.proposals.reject(proposal.id, SUPPLIER, Role.SUPPLIER, now),
        return_exceptions=True,
    )
    won, lost = _outcomes(results)
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Conflict)
    final = await db.proposals.get(proposal.id)
    assert final is not None
    if isinstance(won[0], Proposal):  # the reject won: nothing settled
        assert final.status == "rejected"
        state = await db.cases.get(case.id)
        assert state is not None and state.state is CaseState.NEGOTIATION
        assert await db.obligations.list(case.id) == []
    else:
        await _assert_settled_once(db, case.id, proposal)
    assert (await db.history.verify(case.id)).ok


async def test_accept_racing_a_new_proposal(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case = await negotiation_case(db, now)
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, PARTIAL, now)
    results = await asyncio.gather(
        _accept(db, proposal, SUPPLIER, Role.SUPPLIER, now),
        other_worker.proposals.create(case.id, BUYER, Role.BUYER, RETURN, now),
        return_exceptions=True,
    )
    _, lost = _outcomes(results)
    final = await db.proposals.get(proposal.id)
    assert final is not None
    if lost:  # the new proposal came first and superseded the one being accepted
        assert isinstance(lost[0], Conflict) and final.status == "superseded"
        assert await db.obligations.list(case.id) == []
    else:
        assert final.status == "accepted"
    assert (await db.history.verify(case.id)).ok


async def _assert_settled_once(db: Database, case_id: int, proposal: Proposal) -> None:
    final = await db.proposals.get(proposal.id)
    case = await db.cases.get(case_id)
    assert final is not None and final.status == "accepted"
    assert case is not None and case.state is CaseState.SETTLED
    obligations = await db.obligations.list(case_id)
    expected = _obligations(proposal.terms, proposal.created_at)
    assert [o.number for o in obligations] == list(range(1, len(expected) + 1))
    assert [o.kind for o in obligations] == [o.kind for o in expected]
    events = await db.history.list(case_id)
    assert _kinds(events, "proposal.accepted") == ["proposal.accepted"]
    assert len([e for e in events if e.payload.get("action") in {
        "accept_proposal", "mediation_settle"}]) == 1  # fmt: skip
    assert len(_kinds(events, "obligation.created")) == len(obligations)
    assert (await db.history.verify(case_id)).ok
