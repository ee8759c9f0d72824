"""Building blocks for storage tests: users and cases in a known state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flows.rules.claim import Claim
from flows.rules.deadlines import DeadlinePolicy
from flows.rules.lifecycle import Action, CaseState, ClosingReason, DeadlineKind, Role
from storage import Case, Database, NewDeadline

BUYER = 1_000_000_001
SUPPLIER = 7_000_000_002  # beyond 32 bits, as real Telegram ids can be
MEDIATOR = 3_000_000_003
STRANGER = 4_000_000_004

POLICY = DeadlinePolicy()

# A claim as the form files it (`Claim.record()`), for cases the storage tests file.
CLAIM_RECORD: dict[str, Any] = {
    "order_number": "PO-1",
    "order_date": "2026-01-02",
    "product": "Porcelain tea sets",
    "quantity": 40,
    "currency": "USD",
    "amount": "1200.00",
    "supplier_name": "Jingdezhen Ceramics",
    "supplier_contact": "wang@example.com",
    "category": "quality_defect",
    "key_date": "2026-01-20",
    "description": "箱子破了, six sets arrived broken",
    "outcome": "full_refund",
}


def claim(**changes: Any) -> Claim:
    """`CLAIM_RECORD` with `changes`, as the model."""
    return Claim.from_record({**CLAIM_RECORD, **changes})


async def seed_users(db: Database, now: datetime) -> None:
    """The buyer, the supplier, a mediator and a stranger."""
    await db.users.upsert(BUYER, "Bea", "bea_buyer", "en", now)
    await db.users.upsert(SUPPLIER, "王伟", "wang_supplies", "zh-hans", now)
    await db.users.upsert(MEDIATOR, "Max", None, "en", now)
    await db.users.upsert(STRANGER, "Sam", None, None, now)


def deadline(kind: DeadlineKind, start: datetime) -> NewDeadline:
    """The default deadline of `kind` starting at `start`, with its reminder times."""
    due = POLICY.due_at(kind, start)
    return NewDeadline(kind, start, due, POLICY.reminder_times(start, due))


async def draft_case(db: Database, now: datetime) -> Case:
    """A fresh draft of the buyer's (users seeded)."""
    await seed_users(db, now)
    expiry = deadline(DeadlineKind.DRAFT_EXPIRY, now)
    case, _ = await db.cases.create_draft(BUYER, now, expiry.due_at, expiry.reminder_times)
    return case


async def filed_case(db: Database, now: datetime) -> Case:
    """A claim submitted at `now`; the buyer has not invited the supplier yet."""
    case = await draft_case(db, now - timedelta(hours=1))
    return await db.cases.transition(
        case.id,
        Action.SUBMIT,
        BUYER,
        Role.BUYER,
        now,
        claim=claim(),
        category="quality",
        new_deadline=deadline(DeadlineKind.SUPPLIER_INVITATION, now),
    )


async def submitted_case(db: Database, now: datetime) -> Case:
    """A claim submitted and the supplier invited at `now`, awaiting the supplier (who has
    joined)."""
    case = await filed_case(db, now)
    case = await db.cases.transition(
        case.id,
        Action.INVITE_SUPPLIER,
        BUYER,
        Role.BUYER,
        now,
        new_deadline=deadline(DeadlineKind.SUPPLIER_RESPONSE, now),
    )
    return await db.cases.set_supplier(case.id, SUPPLIER, now)


async def negotiation_case(db: Database, now: datetime) -> Case:
    """A submitted case the supplier responded to at `now` (state negotiation)."""
    case = await submitted_case(db, now)
    return await db.cases.transition(
        case.id,
        Action.SUPPLIER_RESPOND,
        SUPPLIER,
        Role.SUPPLIER,
        now,
        new_deadline=deadline(DeadlineKind.NEGOTIATION, now),
    )


async def closed_fulfilled_at_once(db: Database, case_id: int) -> None:
    """The case was decided and closed as fulfilled in the same step (CLOSE_FULFILLED right
    after DECIDE), with no fulfilment deadline left to lapse as "not fulfilled"."""
    case = await db.cases.get(case_id)
    assert case is not None and case.state is CaseState.CLOSED
    assert case.closed_reason is ClosingReason.FULFILLED
    assert await db.deadlines.pending_for_case(case_id) == []
    events = await db.history.list(case_id)
    actions = [e.payload.get("action") for e in events if e.kind == "case.transition"]
    assert actions[-2:] == [Action.DECIDE.value, Action.CLOSE_FULFILLED.value]
    assert (await db.history.verify(case_id)).ok
