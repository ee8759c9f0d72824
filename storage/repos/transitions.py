"""THE guarded state change of a case, runnable inside any write transaction.

`apply_transition` asks `flows.rules.lifecycle.check_transition` first and writes nothing when
it refuses. The state change itself is a compare-and-set on `version`, so of two concurrent
transitions on one case exactly one wins; the loser gets `ConcurrentUpdate` (or
`IllegalTransition` when it reads the winner's result). `CaseRepo.transition` runs it in a
transaction of its own; `ProposalRepo.accept` runs it together with the proposal and its
obligations, so a settlement commits whole or not at all. A case that closes has its unused
invitation tokens revoked in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.claim import Claim
from flows.rules.lifecycle import (
    CLOSING_REASONS,
    SIDE_DEADLINE_STATES,
    SIDE_DEADLINES,
    Action,
    CaseState,
    IllegalTransition,
    LifecyclePolicy,
    Role,
    check_transition,
)
from storage.access import RevokeReason
from storage.errors import ConcurrentUpdate, NotFound
from storage.ledger import touch_case
from storage.records import Case, DeadlineStatus, NewDeadline, ProposalStatus
from storage.repos.deadlines import close_pending, insert_deadline
from storage.repos.history import append_event
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.tokens import revoke_live_tokens
from storage.rows import case_from_row
from storage.tables import cases, counters, proposals
from storage.witness import milestone_of, note_milestone

__all__ = [
    "CASE_NUMBER",
    "CaseNews",
    "Move",
    "apply_move",
    "apply_transition",
    "deadline_payload",
    "fetch_case",
    "next_case_number",
]

CASE_NUMBER = "case_number"  # the `counters` row of filed cases' numbers
# News that needs the case as the transition leaves it (the number filing gives it).
CaseNews = Callable[[Case], Sequence[OutboxMessage]]


@dataclass(frozen=True)
class Move:
    """A transition that another repository applies inside its own transaction, so that a
    step's state change and its other writes (a counter-proposal and the supplier's response)
    commit together or not at all."""

    action: Action
    actor_id: int | None
    actor_role: Role
    reason: str | None = None
    payload: Mapping[str, Any] | None = None
    new_deadline: NewDeadline | None = None
    expected_version: int | None = None
    outbox: Sequence[OutboxMessage] = ()


def deadline_payload(new: NewDeadline) -> dict[str, Any]:
    """How a deadline that starts appears in a history event."""
    return {"kind": new.kind.value, "due_at": new.due_at}


async def fetch_case(conn: AsyncConnection, case_id: int) -> Case | None:
    row = (await conn.execute(select(cases).where(cases.c.id == case_id))).mappings().first()
    return None if row is None else case_from_row(row)


async def next_case_number(conn: AsyncConnection) -> int:
    """The next filed case's number, taken inside the caller's write transaction.

    One `UPDATE ... RETURNING` on the counter row: on PostgreSQL it locks the row until the
    filing commits, so a concurrent filing waits and reads the committed value (no two filings
    get one number); on SQLite a write transaction holds the database (`BEGIN IMMEDIATE`). A
    filing that rolls back gives its number back, so filed cases are numbered without gaps.
    """
    value = await conn.scalar(
        update(counters)
        .where(counters.c.name == CASE_NUMBER)
        .values(value=counters.c.value + 1)
        .returning(counters.c.value)
    )
    if value is None:
        raise NotFound(f"counter {CASE_NUMBER!r} missing: run the migrations")
    return int(value)


async def apply_transition(
    conn: AsyncConnection,
    case_id: int,
    action: Action,
    actor_id: int | None,
    actor_role: Role,
    now: datetime,
    *,
    policy: LifecyclePolicy,
    reason: str | None = None,
    payload: Mapping[str, Any] | None = None,
    claim: Claim | None = None,
    category: str | None = None,
    new_deadline: NewDeadline | None = None,
    expected_version: int | None = None,
    closing_status: str = DeadlineStatus.MET,
    outbox: Sequence[OutboxMessage] = (),
    news: CaseNews | None = None,
) -> Case:
    """Apply `action` inside the caller's write transaction; see `CaseRepo.transition`.
    `outbox` is the news of the change, queued in the same transaction; `news(moved)` renders
    more of it from the case as moved (filing's news names the number filing gives)."""
    if closing_status not in DeadlineStatus.CLOSING:
        raise ValueError(f"closing_status must be met, cancelled or fired, not {closing_status!r}")
    touch_case(case_id)  # the after-update pass looks at this case's buttons
    case = await fetch_case(conn, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    if expected_version is not None and case.version != expected_version:
        raise ConcurrentUpdate(
            f"case {case_id} is at version {case.version}, expected {expected_version}"
        )
    move = check_transition(case.facts, action, actor_role, now, policy)
    _check_party(case, action, actor_id, actor_role)
    if new_deadline is not None and new_deadline.kind is not move.starts:
        raise ValueError(f"{action} starts {move.starts}, not a {new_deadline.kind} deadline")
    event: dict[str, Any] = {
        "action": action.value,
        "from": case.state.value,
        "to": move.target.value,
        "reason": reason,
    }
    if new_deadline is not None:
        event["deadline"] = deadline_payload(new_deadline)
    if claim is not None:
        event["claim"] = claim.record()
    clash = event.keys() & (payload or {}).keys()
    if clash:
        raise ValueError(f"payload may not override {sorted(clash)} of the event")
    event.update(payload or {})
    # The facts a case is judged by are in the chain, not only in the live row `verify`
    # compares with it: the claim (amount, currency, order; `event["claim"]` above, the very
    # mapping stored on the case) and its category as filed.
    if category is not None and "category" not in event:
        event["category"] = category
    values: dict[str, Any] = {
        "state": move.target.value,
        "version": cases.c.version + 1,
        "updated_at": now,
        "last_activity_at": now,
    }
    if move.target is not case.state:
        values["previous_state"] = case.state.value
    if action is Action.SUBMIT:
        values["submitted_at"] = now
        if case.number is None:
            values["number"] = await next_case_number(conn)
    if action is Action.INVITE_SUPPLIER:
        values["invited_at"] = now  # once: check_transition refuses a second start
    if action is Action.ASSIGN_MEDIATOR and actor_id is not None:
        values["mediator_id"] = actor_id
    if action is Action.RELEASE_MEDIATOR:
        values["mediator_id"] = None
    # A decision (a dismissal in arbitration is one too) opens the reconsideration window; a
    # reconsideration goes back to the pool, its first mediator no longer the case's.
    decides = action is Action.DECIDE
    if decides or (action is Action.DISMISS and case.state is CaseState.ARBITRATION):
        values["decided_at"] = now
    if action is Action.RECONSIDER:
        values["mediator_id"] = None
        values["reconsiderations"] = cases.c.reconsiderations + 1
    if move.target is CaseState.CLOSED:
        values["closed_at"] = now
        values["closed_reason"] = CLOSING_REASONS[action].value
    elif case.state is CaseState.CLOSED:
        values["closed_at"] = None  # reopened for reconsideration
        values["closed_reason"] = None
    if claim is not None:
        values["claim"] = event["claim"]
    if category is not None:
        values["category"] = category
    row = (
        (
            await conn.execute(
                update(cases)
                .where(cases.c.id == case_id, cases.c.version == case.version)
                .values(**values)
                .returning(*cases.c)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ConcurrentUpdate(f"case {case_id} changed while {action} was applied")
    # A request for evidence outlives the move to the final statements round (SIDE_DEADLINES).
    keep = SIDE_DEADLINES if move.target in SIDE_DEADLINE_STATES else ()
    await close_pending(conn, case_id, closing_status, now, keep)
    if move.target is CaseState.CLOSED:
        # Nobody may come in through an invitation of a closed case; the chat links the bot
        # made are revoked on Telegram by the flow (flows.chat_links.revoke_case_links).
        await revoke_live_tokens(conn, case_id, RevokeReason.CLOSED, now)
    if new_deadline is not None:
        await insert_deadline(conn, case_id, new_deadline, now)
    if action is Action.RELEASE_MEDIATOR:
        await _withdraw_mediators_proposal(conn, case_id, actor_id, now)
    if "number" in values:
        event["number"] = values["number"]
    await append_event(conn, case_id, actor_id, actor_role, "case.transition", event, now)
    moved = case_from_row(row)
    await enqueue(conn, [*outbox, *(news(moved) if news is not None else ())], now)
    milestone = milestone_of(action, case, move.target)
    if milestone is not None:  # its head is posted as the transaction ends, after its news
        note_milestone(conn, case_id, milestone, now)
    return moved


async def _withdraw_mediators_proposal(
    conn: AsyncConnection, case_id: int, mediator_id: int | None, now: datetime
) -> None:
    """A mediator who hands the case back takes their open proposal with them: nobody may
    settle on terms of a mediator who left (its buttons go with the stale-button pass)."""
    withdrawn = await conn.execute(
        update(proposals)
        .where(
            proposals.c.case_id == case_id,
            proposals.c.status == ProposalStatus.OPEN,
            proposals.c.author_role == Role.MEDIATOR.value,
        )
        .values(status=ProposalStatus.WITHDRAWN, decided_at=now, decided_by=mediator_id)
        .returning(proposals.c.number)
    )
    for (number,) in withdrawn.all():
        payload = {"number": int(number), "reason": "handed back"}
        await append_event(
            conn, case_id, mediator_id, Role.MEDIATOR, "proposal.withdrawn", payload, now
        )


async def apply_move(
    conn: AsyncConnection, case_id: int, move: Move, now: datetime, policy: LifecyclePolicy
) -> Case:
    """`apply_transition` of `move` in the caller's transaction."""
    return await apply_transition(
        conn,
        case_id,
        move.action,
        move.actor_id,
        move.actor_role,
        now,
        policy=policy,
        reason=move.reason,
        payload=move.payload,
        new_deadline=move.new_deadline,
        expected_version=move.expected_version,
        outbox=move.outbox,
    )


def _check_party(case: Case, action: Action, actor_id: int | None, role: Role) -> None:
    """A party acts only on its own case: the buyer as the buyer, the supplier who joined."""
    party = {Role.BUYER: case.buyer_id, Role.SUPPLIER: case.supplier_id}
    if role in party and (actor_id is None or actor_id != party[role]):
        raise IllegalTransition(
            case.state, action, role, f"user {actor_id} is not this case's {role}"
        )
    # A mediator acts only on their own case; taking it is how one becomes its mediator, and
    # neither party may mediate their own dispute.
    if role is Role.MEDIATOR and action is Action.ASSIGN_MEDIATOR:
        if actor_id is None or actor_id in (case.buyer_id, case.supplier_id):
            raise IllegalTransition(case.state, action, role, "a party cannot mediate")
    elif role is Role.MEDIATOR and (actor_id is None or actor_id != case.mediator_id):
        raise IllegalTransition(
            case.state, action, role, f"user {actor_id} is not this case's mediator"
        )
