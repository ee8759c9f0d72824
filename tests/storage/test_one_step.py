"""One step, one transaction: every write of a step commits together or none does.

For each step whose writes used to commit separately (a counter-proposal and the supplier's
response, the proposal builder cleared, a settlement on agreed terms, the contest and its
statement, filing and the draft, the last confirmation and the closing, a disputed obligation
and mediation, proof of fulfilment and its prompt), a failure injected after the first part
(a Conflict from a later part, a stale version) must leave nothing of the step behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from flows.rules import proposals as rules
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from storage import (
    ConcurrentUpdate,
    Conflict,
    Database,
    Move,
    NewObligation,
    Obligation,
    OutboxMessage,
    Proposal,
)
from tests.storage.factory import (
    BUYER,
    SUPPLIER,
    claim,
    deadline,
    draft_case,
    negotiation_case,
    submitted_case,
)

H = timedelta(hours=1)
PAID = Decimal("1200.00")
TERMS = rules.Proposal((rules.PartialRefund(amount=Decimal("300.00")),)).to_dict()
TWO_DUTIES = rules.Proposal(
    (rules.PartialRefund(amount=Decimal("300.00")), rules.Discount(Decimal("5")))
).to_dict()


@dataclass(frozen=True)
class Snapshot:
    """Everything a step of a case could have written."""

    case: Any
    events: int
    outbox: int
    proposals: list[Proposal]
    obligations: list[Obligation]
    supplier_input: Any
    buyer_input: Any
    draft: Any


async def snapshot(db: Database, case_id: int) -> Snapshot:
    return Snapshot(
        await db.cases.get(case_id),
        len(await db.history.list(case_id)),
        len(await db.outbox.for_case(case_id)),
        await db.proposals.list(case_id),
        await db.obligations.list(case_id),
        await db.inputs.get(SUPPLIER, SUPPLIER),
        await db.inputs.get(BUYER, BUYER),
        await db.drafts.get(case_id),
    )


def news(case_id: int, key: str, chat_id: int = BUYER) -> OutboxMessage:
    return OutboxMessage(chat_id, f"news {key}", f"case:{case_id}:{key}", case_id, [])


def failing(*_: Any) -> Sequence[OutboxMessage]:
    raise Conflict("injected: a later part of the step failed")


async def builder_input(db: Database, user_id: int, case_id: int, now: datetime) -> None:
    await db.inputs.put(user_id, user_id, "proposal", case_id, "menu", {"terms": []}, now)


def respond(now: datetime, version: int) -> Move:
    return Move(
        Action.SUPPLIER_RESPOND,
        SUPPLIER,
        Role.SUPPLIER,
        reason="supplier made a counter-proposal",
        payload={"response": "counter"},
        new_deadline=deadline(DeadlineKind.NEGOTIATION, now),
        expected_version=version,
    )


def duties(terms: dict[str, Any], at: datetime) -> list[NewObligation]:
    proposal = rules.Proposal.from_dict(terms)
    return [
        NewObligation.from_rule(o, "USD")
        for o in rules.obligations(proposal, PAID, "USD", at, fulfilment_days=7)
    ]


async def test_counter_proposal_response_builder_and_news_commit_together(
    db: Database, now: datetime
) -> None:
    case = await submitted_case(db, now)
    await builder_input(db, SUPPLIER, case.id, now)
    before = await snapshot(db, case.id)
    later = now + H

    with pytest.raises(Conflict):
        await db.proposals.create(
            case.id,
            SUPPLIER,
            Role.SUPPLIER,
            TERMS,
            later,
            news=failing,
            move=respond(later, case.version),
            clear_input=(SUPPLIER, SUPPLIER),
        )
    assert await snapshot(db, case.id) == before  # still waiting, no P1, builder kept

    def boom() -> None:
        raise RuntimeError("killed just before the commit")

    with pytest.raises(RuntimeError):
        await db.proposals.create(
            case.id,
            SUPPLIER,
            Role.SUPPLIER,
            TERMS,
            later,
            news=lambda p: [news(case.id, f"proposal:{p.id}")],
            move=respond(later, case.version),
            clear_input=(SUPPLIER, SUPPLIER),
            before_commit=boom,
        )
    assert await snapshot(db, case.id) == before

    made = await db.proposals.create(
        case.id,
        SUPPLIER,
        Role.SUPPLIER,
        TERMS,
        later,
        news=lambda p: [news(case.id, f"proposal:{p.id}")],
        move=respond(later, case.version),
        clear_input=(SUPPLIER, SUPPLIER),
    )
    after = await snapshot(db, case.id)
    assert after.case is not None and after.case.state is CaseState.NEGOTIATION
    assert [p.number for p in after.proposals] == [made.number] == [1]
    assert after.supplier_input is None
    assert after.outbox == before.outbox + 1
    kinds = [e.kind for e in (await db.history.list(case.id))[before.events :]]
    assert kinds == ["case.transition", "proposal.made"]

    # The same step again (a re-delivered press that slipped past the ledger): the response
    # is refused and nothing of it is written a second time.
    await builder_input(db, SUPPLIER, case.id, later)
    again = await snapshot(db, case.id)
    with pytest.raises(ConcurrentUpdate):
        await db.proposals.create(
            case.id,
            SUPPLIER,
            Role.SUPPLIER,
            TERMS,
            later,
            move=respond(later, case.version),
            clear_input=(SUPPLIER, SUPPLIER),
        )
    assert await snapshot(db, case.id) == again


async def test_a_proposal_and_its_builder_commit_together(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    await builder_input(db, BUYER, case.id, now)
    before = await snapshot(db, case.id)
    with pytest.raises(Conflict):
        await db.proposals.create(
            case.id, BUYER, Role.BUYER, TERMS, now, news=failing, clear_input=(BUYER, BUYER)
        )
    assert await snapshot(db, case.id) == before
    await db.proposals.create(case.id, BUYER, Role.BUYER, TERMS, now, clear_input=(BUYER, BUYER))
    after = await snapshot(db, case.id)
    assert len(after.proposals) == 1 and after.buyer_input is None


async def test_settling_on_agreed_terms_is_one_transaction(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    before = await snapshot(db, case.id)

    async def settle(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "source": "claim",
            "action": Action.SUPPLIER_ACCEPT,
            "new_deadline": deadline(DeadlineKind.FULFILMENT, now),
            "obligations": duties(TERMS, now),
            "expected_case_version": case.version,
            **kw,
        }
        return await db.proposals.settle(
            case.id, BUYER, Role.BUYER, TERMS, SUPPLIER, Role.SUPPLIER, now, **args
        )

    with pytest.raises(Conflict):  # the news, the last part, fails
        await settle(news=failing)
    assert await snapshot(db, case.id) == before  # no proposal left open, nothing settled
    with pytest.raises(ConcurrentUpdate):  # the case moved meanwhile
        await settle(expected_case_version=case.version - 1)
    assert await snapshot(db, case.id) == before

    accepted, settled, created = await settle(news=lambda p, o: [news(case.id, "settled")])
    after = await snapshot(db, case.id)
    assert accepted.status == "accepted" and settled.state is CaseState.SETTLED
    assert [p.status for p in after.proposals] == ["accepted"]
    assert [o.id for o in after.obligations] == [o.id for o in created]
    assert after.outbox == before.outbox + 1


async def test_contest_and_its_statement_input_commit_together(
    db: Database, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = await submitted_case(db, now)
    await db.inputs.put(SUPPLIER, SUPPLIER, "contest", case.id, "statement", {}, now)
    before = await snapshot(db, case.id)

    async def contest() -> Any:
        return await db.cases.transition(
            case.id,
            Action.SUPPLIER_RESPOND,
            SUPPLIER,
            Role.SUPPLIER,
            now + H,
            payload={"response": "contest", "statement": "Shipped as ordered."},
            new_deadline=deadline(DeadlineKind.NEGOTIATION, now + H),
            outbox=[news(case.id, "contested")],
            clear_input=(SUPPLIER, SUPPLIER),
        )

    async def fail_delete(*_: Any) -> None:
        raise Conflict("injected: clearing the input failed")

    monkeypatch.setattr("storage.repos.cases.delete_input", fail_delete)
    with pytest.raises(Conflict):
        await contest()
    assert await snapshot(db, case.id) == before
    monkeypatch.undo()

    moved = await contest()
    after = await snapshot(db, case.id)
    assert moved.state is CaseState.NEGOTIATION and after.supplier_input is None
    assert after.outbox == before.outbox + 1


async def test_filing_and_deleting_the_draft_commit_together(
    db: Database, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = await draft_case(db, now)
    before = await snapshot(db, case.id)
    assert before.draft is not None

    async def submit() -> Any:
        return await db.cases.transition(
            case.id,
            Action.SUBMIT,
            BUYER,
            Role.BUYER,
            now,
            claim=claim(),
            category="quality",
            new_deadline=deadline(DeadlineKind.SUPPLIER_INVITATION, now),
            expected_version=case.version,
            outbox=[news(case.id, "filed")],
            delete_draft=True,
        )

    async def fail_delete(*_: Any) -> None:
        raise Conflict("injected: deleting the draft failed")

    monkeypatch.setattr("storage.repos.cases.delete_draft_of", fail_delete)
    with pytest.raises(Conflict):
        await submit()
    assert await snapshot(db, case.id) == before  # still a draft, form and all
    monkeypatch.undo()

    filed = await submit()
    after = await snapshot(db, case.id)
    assert filed.state is CaseState.AWAITING_SUPPLIER and after.draft is None


async def _settled(db: Database, now: datetime) -> tuple[int, list[Obligation]]:
    case = await negotiation_case(db, now)
    proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, TWO_DUTIES, now)
    _, _, created = await db.proposals.accept(
        proposal.id,
        SUPPLIER,
        Role.SUPPLIER,
        now,
        action=Action.ACCEPT_PROPOSAL,
        new_deadline=deadline(DeadlineKind.FULFILMENT, now),
        obligations=duties(TWO_DUTIES, now),
    )
    return case.id, created


def close(case_id: int, case_version: int | None = None) -> Move:
    return Move(
        Action.CONFIRM_FULFILMENT,
        BUYER,
        Role.BUYER,
        reason="every obligation confirmed",
        expected_version=case_version,
        outbox=[news(case_id, "closed_fulfilled")],
    )


async def test_the_last_confirmation_and_the_closing_commit_together(
    db: Database, now: datetime
) -> None:
    case_id, (refund, discount) = await _settled(db, now)
    for duty in (refund, discount):
        await db.obligations.mark_done(duty.id, SUPPLIER, now + H)

    # Not the last: the case stays settled, the plain news is queued.
    closing = close(case_id)
    await db.obligations.confirm(
        refund.id, BUYER, now + 2 * H, outbox=[news(case_id, "confirmed:1")], close=closing
    )
    middle = await snapshot(db, case_id)
    assert middle.case is not None and middle.case.state is CaseState.SETTLED
    assert await db.outbox.get_by_key(f"case:{case_id}:confirmed:1") is not None

    # The last, with the closing failing (the case moved meanwhile): nothing of it.
    stale = close(case_id, middle.case.version - 1)
    with pytest.raises(ConcurrentUpdate):
        await db.obligations.confirm(discount.id, BUYER, now + 3 * H, close=stale)
    assert await snapshot(db, case_id) == middle

    await db.obligations.confirm(
        discount.id, BUYER, now + 3 * H, outbox=[news(case_id, "confirmed:2")], close=closing
    )
    after = await snapshot(db, case_id)
    assert after.case is not None and after.case.state is CaseState.CLOSED
    assert [o.status for o in after.obligations] == ["confirmed", "confirmed"]
    assert await db.outbox.get_by_key(f"case:{case_id}:closed_fulfilled") is not None
    assert await db.outbox.get_by_key(f"case:{case_id}:confirmed:2") is None  # closing says it


async def test_a_disputed_obligation_and_mediation_commit_together(
    db: Database, now: datetime
) -> None:
    case_id, (refund, _) = await _settled(db, now)
    await db.obligations.mark_done(refund.id, SUPPLIER, now + H)
    before = await snapshot(db, case_id)
    assert before.case is not None

    def to_mediation(version: int) -> Move:
        return Move(
            Action.DISPUTE_FULFILMENT,
            BUYER,
            Role.BUYER,
            reason="O1 disputed",
            new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now + 2 * H),
            expected_version=version,
            outbox=[news(case_id, "disputed")],
        )

    with pytest.raises(ConcurrentUpdate):
        await db.obligations.dispute(
            refund.id, BUYER, now + 2 * H, "not done", move=to_mediation(before.case.version - 1)
        )
    assert await snapshot(db, case_id) == before  # still done, case still settled
    await db.obligations.dispute(
        refund.id, BUYER, now + 2 * H, "not done", move=to_mediation(before.case.version)
    )
    after = await snapshot(db, case_id)
    assert after.case is not None and after.case.state is CaseState.MEDIATION
    assert after.obligations[0].status == "disputed"


async def test_proof_of_fulfilment_consumes_its_prompt(
    db: Database, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, (refund, _) = await _settled(db, now)
    data = {"obligation_id": refund.id}
    await db.inputs.put(SUPPLIER, SUPPLIER, "proof", case_id, str(refund.id), data, now)
    before = await snapshot(db, case_id)

    async def mark() -> Obligation:
        return await db.obligations.mark_done(
            refund.id,
            SUPPLIER,
            now + H,
            outbox=[news(case_id, "done")],
            clear_input=(SUPPLIER, SUPPLIER),
        )

    async def fail_enqueue(*_: Any) -> None:
        raise Conflict("injected: queueing the news failed")

    monkeypatch.setattr("storage.repos.obligations.enqueue", fail_enqueue)
    with pytest.raises(Conflict):  # the news, the last part, fails
        await mark()
    assert await snapshot(db, case_id) == before  # still pending, the prompt still open
    monkeypatch.undo()
    done = await mark()
    after = await snapshot(db, case_id)
    assert done.status == "done" and after.supplier_input is None
