"""Cases: creating a draft, reading cases, roles, and THE guarded state change `transition`.

A transition asks `flows.rules.lifecycle.check_transition` first and writes nothing when it
refuses. The state change itself is a compare-and-set on `version`, so of two concurrent
transitions on one case exactly one wins; the loser gets `ConcurrentUpdate` (or
`IllegalTransition` when it reads the winner's result). The case row, its deadlines and the
history event commit together or not at all. The body lives in `storage.repos.transitions` so
that other repositories can run it inside their own transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.rules.claim import Claim
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, LifecyclePolicy, Role
from storage.errors import Conflict, NotFound
from storage.records import Case, DeadlineStatus, Draft, NewDeadline
from storage.repos.base import Repo
from storage.repos.deadlines import insert_deadline
from storage.repos.drafts import delete_draft as delete_draft_of
from storage.repos.history import append_event
from storage.repos.inputs import InputKey, delete_input
from storage.repos.outbox import OutboxMessage
from storage.repos.transitions import CaseNews, apply_transition, deadline_payload, fetch_case
from storage.rows import case_from_row, draft_from_row
from storage.tables import cases, drafts, users

__all__ = ["FIRST_DRAFT_STEP", "CaseRepo", "role_in"]

FIRST_DRAFT_STEP = "order_number"


class CaseRepo(Repo):
    """Reading and changing cases."""

    def __init__(self, engine: AsyncEngine, policy: LifecyclePolicy | None = None) -> None:
        super().__init__(engine)
        self._policy = policy or LifecyclePolicy()

    async def create_draft(
        self,
        buyer_id: int,
        now: datetime,
        draft_due_at: datetime,
        reminders: Sequence[datetime] = (),
    ) -> tuple[Case, Draft]:
        """Start a claim: the case (state draft), its empty form, its expiry deadline and the
        "case.created" event, in one transaction. The buyer must have been upserted."""
        async with self._write() as conn:
            if await conn.scalar(select(users.c.id).where(users.c.id == buyer_id)) is None:
                raise NotFound(f"user {buyer_id} not found; upsert the user first")
            case_row = (
                (
                    await conn.execute(
                        insert(cases)
                        .values(
                            buyer_id=buyer_id,
                            supplier_id=None,
                            state=CaseState.DRAFT.value,
                            previous_state=None,
                            claim={},
                            category=None,
                            created_at=now,
                            submitted_at=None,
                            closed_at=None,
                            updated_at=now,
                            last_activity_at=now,
                            version=1,
                        )
                        .returning(*cases.c)
                    )
                )
                .mappings()
                .one()
            )
            case = case_from_row(case_row)
            draft_row = (
                (
                    await conn.execute(
                        insert(drafts)
                        .values(
                            case_id=case.id,
                            user_id=buyer_id,
                            step=FIRST_DRAFT_STEP,
                            answers={},
                            back_stack=[],
                            version=1,
                            updated_at=now,
                        )
                        .returning(*drafts.c)
                    )
                )
                .mappings()
                .one()
            )
            expiry = NewDeadline(DeadlineKind.DRAFT_EXPIRY, now, draft_due_at, list(reminders))
            await insert_deadline(conn, case.id, expiry, now)
            await append_event(
                conn,
                case.id,
                buyer_id,
                Role.BUYER,
                "case.created",
                {"state": case.state.value, "deadline": deadline_payload(expiry)},
                now,
            )
            return case, draft_from_row(draft_row)

    async def get(self, case_id: int) -> Case | None:
        async with self._read_one() as conn:
            return await fetch_case(conn, case_id)

    async def by_number(self, number: int) -> Case | None:
        """The filed case people know as `number` (`Case.number`); drafts have none."""
        async with self._read() as conn:
            row = (
                (await conn.execute(select(cases).where(cases.c.number == number)))
                .mappings()
                .first()
            )
            return None if row is None else case_from_row(row)

    async def list_for_user(
        self, user_id: int, *, include_closed_drafts: bool = False
    ) -> builtins.list[Case]:
        """The user's cases as buyer or supplier, newest first.

        Drafts that were closed without being submitted (abandoned or expired) are left out
        unless `include_closed_drafts`.
        """
        query = select(cases).where(
            or_(cases.c.buyer_id == user_id, cases.c.supplier_id == user_id)
        )
        if not include_closed_drafts:
            query = query.where(
                ~and_(cases.c.state == CaseState.CLOSED.value, cases.c.submitted_at.is_(None))
            )
        async with self._read() as conn:
            result = await conn.execute(
                query.order_by(cases.c.created_at.desc(), cases.c.id.desc())
            )
            return [case_from_row(row) for row in result.mappings()]

    async def list_by_state(self, state: CaseState, limit: int = 100) -> builtins.list[Case]:
        """Cases in `state`, oldest activity first (e.g. the mediators' queue)."""
        async with self._read() as conn:
            result = await conn.execute(
                select(cases)
                .where(cases.c.state == state.value)
                .order_by(cases.c.last_activity_at, cases.c.id)
                .limit(limit)
            )
            return [case_from_row(row) for row in result.mappings()]

    async def active_draft_for(self, user_id: int) -> tuple[Case, Draft] | None:
        """The user's newest case still in state draft, with its form (one statement)."""
        async with self._read_one() as conn:
            result = await conn.execute(_ACTIVE_DRAFT, {"buyer": user_id})
            row = result.mappings().first()
        if row is None:
            return None
        draft = {column.name: row[f"draft_{column.name}"] for column in drafts.c}
        return case_from_row(row), draft_from_row(draft)

    async def transition(
        self,
        case_id: int,
        action: Action,
        actor_id: int | None,
        actor_role: Role,
        now: datetime,
        *,
        reason: str | None = None,
        payload: Mapping[str, Any] | None = None,
        claim: Claim | None = None,
        category: str | None = None,
        new_deadline: NewDeadline | None = None,
        expected_version: int | None = None,
        closing_status: str = DeadlineStatus.MET,
        outbox: Sequence[OutboxMessage] = (),
        news: CaseNews | None = None,
        clear_input: InputKey | None = None,
        delete_draft: bool = False,
    ) -> Case:
        """Apply `action` if the lifecycle allows it; see the module docstring.

        `outbox`: the rendered news of the change, queued in its transaction (flows/outbox.py);
        `news(moved)`: more of it, rendered from the case as moved (filing gives the number).
        The step's other writes commit with it or not at all: `clear_input` consumes the
        pending input (user, chat) whose answer this is (a contest statement), `delete_draft`
        drops the claim form once it is filed.

        Pending deadlines of the case are closed with `closing_status`; `new_deadline` (whose
        kind must be the one the transition starts) is armed; `claim`/`category` replace the
        stored ones when given (the claim as `Claim.record()`, the same mapping the event
        carries as "claim", so the chain holds the claim as filed). A buyer or supplier must
        be that party of this case, else IllegalTransition. The event's payload is {"action",
        "from", "to", "reason", "deadline" (kind, due_at; when one starts)} plus `payload`,
        which may add keys but not replace those. A self-transition (mediation -> mediation
        when a mediator is assigned) keeps `previous_state`, so it still says where the case
        came from; assigning a mediator records them as the case's `mediator_id`.
        """
        async with self._write() as conn:
            moved = await apply_transition(
                conn,
                case_id,
                action,
                actor_id,
                actor_role,
                now,
                policy=self._policy,
                reason=reason,
                payload=payload,
                claim=claim,
                category=category,
                new_deadline=new_deadline,
                expected_version=expected_version,
                closing_status=closing_status,
                outbox=outbox,
                news=news,
            )
            await delete_input(conn, clear_input)
            if delete_draft:
                await delete_draft_of(conn, case_id)
            return moved

    async def role_of(self, case_id: int, user_id: int) -> Role | None:
        """The user's role in the case: buyer, supplier or its mediator; None otherwise
        (also for an unknown case)."""
        async with self._read() as conn:
            case = await fetch_case(conn, case_id)
        if case is None:
            return None
        return role_in(case, user_id)

    async def set_supplier(self, case_id: int, supplier_id: int, now: datetime) -> Case:
        """Record the supplier who joined the case (event "case.supplier_joined").

        Setting the same supplier again changes nothing; a different one, or the buyer,
        raises Conflict.
        """
        async with self._write() as conn:
            case = await fetch_case(conn, case_id)
            if case is None:
                raise NotFound(f"case {case_id} not found")
            if case.supplier_id == supplier_id:
                return case
            if case.supplier_id is not None:
                raise Conflict(f"case {case_id} already has a supplier")
            joined = await record_supplier(conn, case, supplier_id, now)
            if joined is not None:
                return joined
            current = await fetch_case(conn, case_id)
            if current is not None and current.supplier_id == supplier_id:
                return current  # the same supplier, twice at once
            raise Conflict(f"case {case_id} got a supplier meanwhile")

    async def touch(self, case_id: int, now: datetime) -> None:
        """Note activity on the case (a message, a button) without changing anything else."""
        async with self._write() as conn:
            result = await conn.execute(
                update(cases).where(cases.c.id == case_id).values(last_activity_at=now)
            )
            if result.rowcount == 0:
                raise NotFound(f"case {case_id} not found")


async def record_supplier(
    conn: AsyncConnection, case: Case, supplier_id: int, now: datetime
) -> Case | None:
    """Set the supplier of `case`, which has none (event "case.supplier_joined"), inside the
    caller's transaction; None when another supplier was set meanwhile. Raises Conflict for the
    case's buyer and NotFound for a user who was never seen."""
    if supplier_id == case.buyer_id:
        raise Conflict(f"the buyer of case {case.id} cannot be its supplier")
    if await conn.scalar(select(users.c.id).where(users.c.id == supplier_id)) is None:
        raise NotFound(f"user {supplier_id} not found; upsert the user first")
    row = (
        (
            await conn.execute(
                update(cases)
                .where(cases.c.id == case.id, cases.c.supplier_id.is_(None))
                .values(supplier_id=supplier_id, updated_at=now, last_activity_at=now)
                .returning(*cases.c)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    await append_event(
        conn,
        case.id,
        supplier_id,
        Role.SUPPLIER,
        "case.supplier_joined",
        {"supplier_id": supplier_id},
        now,
    )
    return case_from_row(row)


# `active_draft_for`: the case row with its draft's columns (as draft_<name>), built once.
_ACTIVE_DRAFT = (
    select(cases, *(column.label(f"draft_{column.name}") for column in drafts.c))
    .join(drafts, drafts.c.case_id == cases.c.id)
    .where(cases.c.buyer_id == bindparam("buyer"), cases.c.state == CaseState.DRAFT.value)
    .order_by(cases.c.created_at.desc(), cases.c.id.desc())
    .limit(1)
)


def role_in(case: Case, user_id: int) -> Role | None:
    """`user_id`'s role in `case`: buyer, supplier, mediator, or None."""
    if user_id == case.buyer_id:
        return Role.BUYER
    if case.supplier_id is not None and user_id == case.supplier_id:
        return Role.SUPPLIER
    if case.mediator_id is not None and user_id == case.mediator_id:
        return Role.MEDIATOR
    return None
