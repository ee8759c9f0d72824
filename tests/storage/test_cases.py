"""Cases: drafts, reading, and the guarded transition that writes all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.rules.lifecycle import (
    Action,
    CaseState,
    ClosingReason,
    DeadlineKind,
    Role,
    check_transition,
)
from storage import ConcurrentUpdate, Conflict, Database, IllegalTransition, NotFound
from tests.storage.factory import (
    BUYER,
    MEDIATOR,
    STRANGER,
    SUPPLIER,
    deadline,
    draft_case,
    filed_case,
    seed_users,
    submitted_case,
)
from tests.storage.factory import (
    claim as filed_claim,
)

DAY = timedelta(days=1)


async def test_create_draft_writes_case_form_deadline_and_event(
    db: Database, now: datetime
) -> None:
    await seed_users(db, now)
    due = now + timedelta(days=7)
    reminders = [now + timedelta(days=6), now + timedelta(days=3, hours=12)]
    case, draft = await db.cases.create_draft(BUYER, now, due, reminders)

    assert case.state is CaseState.DRAFT and case.previous_state is None
    assert (case.buyer_id, case.supplier_id, case.claim, case.version) == (BUYER, None, None, 1)
    assert case.number is None  # a draft takes no case number (given at filing)
    assert case.created_at == case.last_activity_at == now and case.created_at.tzinfo is UTC
    assert await db.cases.get(case.id) == case
    assert (draft.case_id, draft.user_id, draft.step) == (case.id, BUYER, "order_number")

    [expiry] = await db.deadlines.pending_for_case(case.id)
    assert (expiry.kind, expiry.due_at, expiry.status) == (
        DeadlineKind.DRAFT_EXPIRY,
        due,
        "pending",
    )
    assert expiry.reminder_times == sorted(reminders)
    assert expiry.next_reminder_at == min(reminders)

    [event] = await db.history.list(case.id)
    assert (event.seq, event.kind, event.actor_id, event.actor_role) == (
        1,
        "case.created",
        BUYER,
        Role.BUYER,
    )


async def test_create_draft_for_unknown_user_writes_nothing(db: Database, now: datetime) -> None:
    with pytest.raises(NotFound):
        await db.cases.create_draft(12345, now, now + timedelta(days=7))
    assert await db.cases.list_for_user(12345, include_closed_drafts=True) == []


async def test_get_unknown_case_is_none(db: Database) -> None:
    assert await db.cases.get(404) is None


async def test_submit_moves_state_and_deadlines_and_records_event(
    db: Database, now: datetime
) -> None:
    case = await draft_case(db, now - timedelta(hours=1))
    claim = filed_claim(description="箱子破了")
    submitted = await db.cases.transition(
        case.id,
        Action.SUBMIT,
        BUYER,
        Role.BUYER,
        now,
        reason="buyer confirmed the summary",
        payload={"summary_shown": True},
        claim=claim,
        category="quality",
        new_deadline=deadline(DeadlineKind.SUPPLIER_INVITATION, now),
        expected_version=case.version,
    )
    assert submitted.state is CaseState.AWAITING_SUPPLIER
    assert submitted.previous_state is CaseState.DRAFT
    assert (submitted.submitted_at, submitted.closed_at) == (now, None)
    assert (submitted.claim, submitted.category) == (claim, "quality")
    assert (submitted.version, submitted.last_activity_at) == (case.version + 1, now)
    assert submitted.number == 1  # filing gives the case its number
    assert await db.cases.get(case.id) == submitted

    deadlines = await db.deadlines.pending_for_case(case.id)
    assert [d.kind for d in deadlines] == [DeadlineKind.SUPPLIER_INVITATION]
    assert deadlines[0].due_at == now + timedelta(days=7)

    event = (await db.history.list(case.id))[-1]
    assert event.kind == "case.transition"
    assert event.payload == {
        "action": "submit",
        "from": "draft",
        "to": "awaiting_supplier",
        "reason": "buyer confirmed the summary",
        "summary_shown": True,
        "number": 1,
        # the claim and its category as filed are in the chain (issue 10: verify checks them)
        "claim": claim.record(),
        "category": "quality",
        "deadline": {
            "kind": "supplier_invitation",
            "due_at": (now + timedelta(days=7)).isoformat(),
        },
    }


async def test_the_first_invitation_starts_the_suppliers_clock_once(
    db: Database, now: datetime
) -> None:
    case = await filed_case(db, now)
    [invite_by] = await db.deadlines.pending_for_case(case.id)
    assert case.invited_at is None
    later = now + timedelta(days=2)
    invited = await db.cases.transition(
        case.id,
        Action.INVITE_SUPPLIER,
        BUYER,
        Role.BUYER,
        later,
        new_deadline=deadline(DeadlineKind.SUPPLIER_RESPONSE, later),
        expected_version=case.version,
    )
    assert (invited.state, invited.invited_at, invited.submitted_at) == (
        CaseState.AWAITING_SUPPLIER,
        later,
        now,
    )
    met = await db.deadlines.get(invite_by.id)
    assert met is not None and (met.status, met.closed_at) == ("met", later)
    [response] = await db.deadlines.pending_for_case(case.id)
    assert (response.kind, response.due_at) == (DeadlineKind.SUPPLIER_RESPONSE, later + 3 * DAY)

    again = later + DAY
    with pytest.raises(IllegalTransition, match="already invited"):
        await db.cases.transition(
            case.id,
            Action.INVITE_SUPPLIER,
            BUYER,
            Role.BUYER,
            again,
            new_deadline=deadline(DeadlineKind.SUPPLIER_RESPONSE, again),
        )
    assert await db.cases.get(case.id) == invited
    assert await db.deadlines.pending_for_case(case.id) == [response]


async def test_closing_records_why(db: Database, now: datetime) -> None:
    case = await filed_case(db, now)
    lapsed = await db.cases.transition(
        case.id, Action.EXPIRE_CLAIM, None, Role.SYSTEM, now + 7 * DAY, closing_status="fired"
    )
    assert (lapsed.state, lapsed.closed_reason) == (CaseState.CLOSED, ClosingReason.EXPIRED)
    assert await db.cases.get(case.id) == lapsed
    withdrawn = await db.cases.transition(
        (await submitted_case(db, now)).id, Action.WITHDRAW, BUYER, Role.BUYER, now
    )
    assert withdrawn.closed_reason is ClosingReason.WITHDRAWN


async def test_closed_deadlines_get_the_closing_status(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    [expiry] = await db.deadlines.pending_for_case(case.id)
    await db.cases.transition(
        case.id, Action.EXPIRE_DRAFT, None, Role.SYSTEM, now, closing_status="fired"
    )
    closed = await db.deadlines.get(expiry.id)
    assert closed is not None
    assert (closed.status, closed.closed_at, closed.next_reminder_at) == ("fired", now, None)
    with pytest.raises(ValueError, match="closing_status"):
        await db.cases.transition(
            case.id, Action.ABANDON, BUYER, Role.BUYER, now, closing_status="x"
        )


async def test_illegal_transition_writes_nothing(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    before = (
        await db.cases.get(case.id),
        await db.deadlines.pending_for_case(case.id),
        await db.history.list(case.id),
    )
    for action, role in [
        (Action.DECIDE, Role.MEDIATOR),  # wrong state
        (Action.SUPPLIER_RESPOND, Role.BUYER),  # wrong role
        (Action.REQUEST_MEDIATION, Role.BUYER),  # too early for the buyer
    ]:
        with pytest.raises(IllegalTransition):
            await db.cases.transition(
                case.id,
                action,
                BUYER,
                role,
                now + timedelta(hours=1),
                new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now),
            )
    after = (
        await db.cases.get(case.id),
        await db.deadlines.pending_for_case(case.id),
        await db.history.list(case.id),
    )
    assert after == before


async def test_buyer_may_ask_for_mediation_from_day_four(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    escalated = await db.cases.transition(
        case.id, Action.REQUEST_MEDIATION, BUYER, Role.BUYER, now + timedelta(days=3, minutes=1)
    )
    assert escalated.state is CaseState.MEDIATION


async def test_wrong_deadline_kind_is_refused(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    with pytest.raises(ValueError, match="starts"):
        await db.cases.transition(
            case.id,
            Action.SUPPLIER_RESPOND,
            SUPPLIER,
            Role.SUPPLIER,
            now,
            new_deadline=deadline(DeadlineKind.FULFILMENT, now),
        )
    unchanged = await db.cases.get(case.id)
    assert unchanged is not None and unchanged.state is CaseState.AWAITING_SUPPLIER


async def test_stale_expected_version_is_refused(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    with pytest.raises(ConcurrentUpdate):
        await db.cases.transition(
            case.id,
            Action.SUPPLIER_RESPOND,
            SUPPLIER,
            Role.SUPPLIER,
            now,
            expected_version=case.version - 1,
        )


async def test_unknown_case_is_not_found(db: Database, now: datetime) -> None:
    with pytest.raises(NotFound):
        await db.cases.transition(404, Action.SUBMIT, BUYER, Role.BUYER, now)
    with pytest.raises(NotFound):
        await db.cases.touch(404, now)
    with pytest.raises(NotFound):
        await db.cases.set_supplier(404, SUPPLIER, now)


async def test_full_path_to_decision_and_reconsideration(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    t = now
    steps: list[tuple[Action, int | None, Role, CaseState]] = [
        (Action.SUPPLIER_RESPOND, SUPPLIER, Role.SUPPLIER, CaseState.NEGOTIATION),
        (Action.ESCALATE, None, Role.SYSTEM, CaseState.MEDIATION),
        (Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, CaseState.MEDIATION),
        (Action.TO_ARBITRATION, MEDIATOR, Role.MEDIATOR, CaseState.ARBITRATION),
        (Action.DECIDE, MEDIATOR, Role.MEDIATOR, CaseState.DECIDED),
        (Action.CONFIRM_FULFILMENT, BUYER, Role.BUYER, CaseState.CLOSED),
    ]
    for action, actor, role, target in steps:
        t += timedelta(hours=5)
        starts = check_transition(case.facts, action, role, t).starts  # as the flows do
        new = None if starts is None else deadline(starts, t)
        case = await db.cases.transition(case.id, action, actor, role, t, new_deadline=new)
        assert case.state is target
        pending = await db.deadlines.pending_for_case(case.id)
        assert [d.kind for d in pending] == ([] if starts is None else [starts])
        if action is Action.ASSIGN_MEDIATOR:
            # a self-transition keeps where the case came from
            assert case.previous_state is CaseState.NEGOTIATION
    assert (case.closed_at, case.previous_state) == (t, CaseState.DECIDED)
    assert case.closed_reason is ClosingReason.FULFILLED

    reopened = await db.cases.transition(
        case.id,
        Action.RECONSIDER,
        SUPPLIER,
        Role.SUPPLIER,
        t + timedelta(days=1),
        new_deadline=deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, t + timedelta(days=1)),
    )
    assert reopened.state is CaseState.ARBITRATION and reopened.closed_at is None
    assert reopened.closed_reason is None
    # back to the pool for a different mediator, once: the window ran from the decision
    assert reopened.mediator_id is None and reopened.reconsiderations == 1
    assert reopened.decided_at == now + timedelta(hours=5 * 5)
    # created, submitted, invited, steps, reconsidered
    assert reopened.version == 1 + len(steps) + 3
    assert [e.seq for e in await db.history.list(case.id)] == list(range(1, len(steps) + 6))
    assert (await db.history.verify(case.id)).ok


async def test_list_for_user_and_active_draft(db: Database, now: datetime) -> None:
    filed = await submitted_case(db, now)
    abandoned = await draft_case(db, now + timedelta(minutes=1))
    await db.cases.transition(
        abandoned.id, Action.ABANDON, BUYER, Role.BUYER, now + timedelta(minutes=2)
    )
    older_draft = await draft_case(db, now + timedelta(minutes=3))
    newest_draft = await draft_case(db, now + timedelta(minutes=4))

    assert [c.id for c in await db.cases.list_for_user(BUYER)] == [
        newest_draft.id,
        older_draft.id,
        filed.id,
    ]
    assert [c.id for c in await db.cases.list_for_user(BUYER, include_closed_drafts=True)] == [
        newest_draft.id,
        older_draft.id,
        abandoned.id,
        filed.id,
    ]
    assert [c.id for c in await db.cases.list_for_user(SUPPLIER)] == [filed.id]
    assert await db.cases.list_for_user(STRANGER) == []

    active = await db.cases.active_draft_for(BUYER)
    assert active is not None
    assert active[0].id == newest_draft.id and active[1].case_id == newest_draft.id
    assert await db.cases.active_draft_for(SUPPLIER) is None
    assert [c.id for c in await db.cases.list_by_state(CaseState.DRAFT)] == [
        older_draft.id,
        newest_draft.id,
    ]


async def test_set_supplier_once(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)  # the supplier has joined
    assert case.supplier_id == SUPPLIER
    same = await db.cases.set_supplier(case.id, SUPPLIER, now + timedelta(hours=1))
    assert same == case
    with pytest.raises(Conflict):
        await db.cases.set_supplier(case.id, STRANGER, now)
    events = [e for e in await db.history.list(case.id) if e.kind == "case.supplier_joined"]
    assert len(events) == 1 and events[0].actor_id == SUPPLIER


async def test_set_supplier_needs_a_known_user_other_than_the_buyer(
    db: Database, now: datetime
) -> None:
    case = await draft_case(db, now)
    with pytest.raises(NotFound):
        await db.cases.set_supplier(case.id, 555, now)
    with pytest.raises(Conflict):
        await db.cases.set_supplier(case.id, BUYER, now)
    unchanged = await db.cases.get(case.id)
    assert unchanged is not None and unchanged.supplier_id is None


async def test_touch_only_moves_last_activity(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    later = now + timedelta(hours=3)
    await db.cases.touch(case.id, later)
    touched = await db.cases.get(case.id)
    assert touched is not None
    assert touched.last_activity_at == later
    assert (touched.version, touched.updated_at, touched.state) == (
        case.version,
        case.updated_at,
        case.state,
    )


async def test_only_the_case_parties_act_as_parties(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    later = now + timedelta(days=4)
    with pytest.raises(IllegalTransition, match="not this case's supplier"):
        await db.cases.transition(case.id, Action.SUPPLIER_RESPOND, STRANGER, Role.SUPPLIER, later)
    with pytest.raises(IllegalTransition, match="not this case's buyer"):
        await db.cases.transition(case.id, Action.WITHDRAW, STRANGER, Role.BUYER, later)
    with pytest.raises(IllegalTransition, match="not this case's buyer"):
        await db.cases.transition(case.id, Action.WITHDRAW, None, Role.BUYER, later)
    unchanged = await db.cases.get(case.id)
    assert unchanged == case


async def test_supplier_cannot_act_before_joining(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    case = await db.cases.transition(case.id, Action.SUBMIT, BUYER, Role.BUYER, now)
    with pytest.raises(IllegalTransition):
        await db.cases.transition(case.id, Action.SUPPLIER_ACCEPT, SUPPLIER, Role.SUPPLIER, now)


async def test_payload_cannot_rewrite_the_event(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    with pytest.raises(ValueError, match="override"):
        await db.cases.transition(
            case.id, Action.ABANDON, BUYER, Role.BUYER, now, payload={"from": "negotiation"}
        )
    unchanged = await db.cases.get(case.id)
    assert unchanged is not None and unchanged.state is CaseState.DRAFT


async def test_values_json_cannot_hold_are_refused(db: Database, now: datetime) -> None:
    case = await draft_case(db, now)
    with pytest.raises(ValueError):
        await db.cases.transition(
            case.id, Action.SUBMIT, BUYER, Role.BUYER, now, payload={"amount": float("nan")}
        )
    with pytest.raises(ValueError):  # nor can a claim hold one (flows/rules/claim.py)
        filed_claim(amount=float("nan"))
    unchanged = await db.cases.get(case.id)
    assert unchanged is not None and unchanged.state is CaseState.DRAFT
    with pytest.raises(TypeError):
        await db.history.append(case.id, BUYER, Role.BUYER, "x", {"s": {1, 2}}, now)


async def test_role_of_the_parties_and_the_assigned_mediator(db: Database, now: datetime) -> None:
    case = await submitted_case(db, now)
    assert case.mediator_id is None
    assert await db.cases.role_of(case.id, BUYER) is Role.BUYER
    assert await db.cases.role_of(case.id, SUPPLIER) is Role.SUPPLIER
    assert await db.cases.role_of(case.id, MEDIATOR) is None
    assert await db.cases.role_of(case.id, STRANGER) is None
    assert await db.cases.role_of(case.id + 404, BUYER) is None

    await db.cases.transition(case.id, Action.REQUEST_MEDIATION, SUPPLIER, Role.SUPPLIER, now)
    assigned = await db.cases.transition(
        case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now
    )
    assert assigned.mediator_id == MEDIATOR
    assert await db.cases.role_of(case.id, MEDIATOR) is Role.MEDIATOR
    assert await db.cases.role_of(case.id, STRANGER) is None
