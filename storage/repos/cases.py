"""Cases: creating a draft, reading cases, and THE guarded state change `transition`.

A transition asks `flows.rules.lifecycle.check_transition` first and writes nothing when it
refuses. The state change itself is a compare-and-set on `version`, so of two concurrent
transitions on one case exactly one wins; the loser gets `ConcurrentUpdate` (or
`IllegalTransition` when it reads the winner's result). The case row, its deadlines and the
history event commit together or not at all.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.rules.lifecycle import (
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    LifecyclePolicy,
    Role,
    check_transition,
)
from storage.errors import ConcurrentUpdate, Conflict, NotFound
from storage.records import Case, DeadlineStatus, Draft, NewDeadline
from storage.repos.base import Repo
from storage.repos.deadlines import close_pending, insert_deadline
from storage.repos.history import append_event
from storage.rows import case_from_row, draft_from_row
from storage.tables import cases, drafts, users
from storage.types import normalise_json

__all__ = ["FIRST_DRAFT_STEP", "CaseRepo"]

FIRST_DRAFT_STEP = "order_number"


def _deadline_payload(new: NewDeadline) -> dict[str, Any]:
    return {"kind": new.kind.value, "due_at": new.due_at}


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
                {"state": case.state.value, "deadline": _deadline_payload(expiry)},
                now,
            )
            return case, draft_from_row(draft_row)

    async def get(self, case_id: int) -> Case | None:
        async with self._read() as conn:
            return await _fetch(conn, case_id)

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
        """The user's newest case still in state draft, with its form."""
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(cases.c.id)
                        .join(drafts, drafts.c.case_id == cases.c.id)
                        .where(
                            cases.c.buyer_id == user_id,
                            cases.c.state == CaseState.DRAFT.value,
                        )
                        .order_by(cases.c.created_at.desc(), cases.c.id.desc())
                        .limit(1)
                    )
                )
                .scalars()
                .first()
            )
            if row is None:
                return None
            case = await _fetch(conn, int(row))
            draft_row = (
                (await conn.execute(select(drafts).where(drafts.c.case_id == int(row))))
                .mappings()
                .first()
            )
            if case is None or draft_row is None:
                return None
            return case, draft_from_row(draft_row)

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
        claim: Mapping[str, Any] | None = None,
        category: str | None = None,
        new_deadline: NewDeadline | None = None,
        expected_version: int | None = None,
        closing_status: str = DeadlineStatus.MET,
    ) -> Case:
        """Apply `action` if the lifecycle allows it; see the module docstring.

        Pending deadlines of the case are closed with `closing_status`; `new_deadline` (whose
        kind must be the one the transition starts) is armed; `claim`/`category` replace the
        stored ones when given. A buyer or supplier must be that party of this case, else
        IllegalTransition. The event's payload is {"action", "from", "to", "reason",
        "deadline" (kind, due_at; when one starts)} plus `payload`, which may add keys but not
        replace those. A self-transition (mediation -> mediation when a mediator is
        assigned) keeps `previous_state`, so it still says where the case came from.
        """
        if closing_status not in DeadlineStatus.CLOSING:
            raise ValueError(
                f"closing_status must be met, cancelled or fired, not {closing_status!r}"
            )
        async with self._write() as conn:
            case = await _fetch(conn, case_id)
            if case is None:
                raise NotFound(f"case {case_id} not found")
            if expected_version is not None and case.version != expected_version:
                raise ConcurrentUpdate(
                    f"case {case_id} is at version {case.version}, expected {expected_version}"
                )
            move = check_transition(case.facts, action, actor_role, now, self._policy)
            _check_party(case, action, actor_id, actor_role)
            if new_deadline is not None and new_deadline.kind is not move.starts:
                raise ValueError(
                    f"{action} starts {move.starts}, not a {new_deadline.kind} deadline"
                )
            event: dict[str, Any] = {
                "action": action.value,
                "from": case.state.value,
                "to": move.target.value,
                "reason": reason,
            }
            if new_deadline is not None:
                event["deadline"] = _deadline_payload(new_deadline)
            clash = event.keys() & (payload or {}).keys()
            if clash:
                raise ValueError(f"payload may not override {sorted(clash)} of the event")
            event.update(payload or {})
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
            if move.target is CaseState.CLOSED:
                values["closed_at"] = now
            elif case.state is CaseState.CLOSED:
                values["closed_at"] = None  # reopened for reconsideration
            if claim is not None:
                values["claim"] = normalise_json(dict(claim))  # bad values: plain ValueError
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
            await close_pending(conn, case_id, closing_status, now)
            if new_deadline is not None:
                await insert_deadline(conn, case_id, new_deadline, now)
            await append_event(conn, case_id, actor_id, actor_role, "case.transition", event, now)
            return case_from_row(row)

    async def set_supplier(self, case_id: int, supplier_id: int, now: datetime) -> Case:
        """Record the supplier who joined the case (event "case.supplier_joined").

        Setting the same supplier again changes nothing; a different one, or the buyer,
        raises Conflict.
        """
        async with self._write() as conn:
            case = await _fetch(conn, case_id)
            if case is None:
                raise NotFound(f"case {case_id} not found")
            if case.supplier_id == supplier_id:
                return case
            if case.supplier_id is not None:
                raise Conflict(f"case {case_id} already has a supplier")
            if supplier_id == case.buyer_id:
                raise Conflict(f"the buyer of case {case_id} cannot be its supplier")
            if await conn.scalar(select(users.c.id).where(users.c.id == supplier_id)) is None:
                raise NotFound(f"user {supplier_id} not found; upsert the user first")
            row = (
                (
                    await conn.execute(
                        update(cases)
                        .where(cases.c.id == case_id, cases.c.supplier_id.is_(None))
                        .values(supplier_id=supplier_id, updated_at=now, last_activity_at=now)
                        .returning(*cases.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                current = await _fetch(conn, case_id)
                if current is not None and current.supplier_id == supplier_id:
                    return current  # the same supplier, twice at once
                raise Conflict(f"case {case_id} got a supplier meanwhile")
            await append_event(
                conn,
                case_id,
                supplier_id,
                Role.SUPPLIER,
                "case.supplier_joined",
                {"supplier_id": supplier_id},
                now,
            )
            return case_from_row(row)

    async def touch(self, case_id: int, now: datetime) -> None:
        """Note activity on the case (a message, a button) without changing anything else."""
        async with self._write() as conn:
            result = await conn.execute(
                update(cases).where(cases.c.id == case_id).values(last_activity_at=now)
            )
            if result.rowcount == 0:
                raise NotFound(f"case {case_id} not found")


def _check_party(case: Case, action: Action, actor_id: int | None, role: Role) -> None:
    """A party acts only on its own case: the buyer as the buyer, the supplier who joined."""
    party = {Role.BUYER: case.buyer_id, Role.SUPPLIER: case.supplier_id}
    if role in party and (actor_id is None or actor_id != party[role]):
        raise IllegalTransition(
            case.state, action, role, f"user {actor_id} is not this case's {role}"
        )


async def _fetch(conn: AsyncConnection, case_id: int) -> Case | None:
    row = (await conn.execute(select(cases).where(cases.c.id == case_id))).mappings().first()
    return None if row is None else case_from_row(row)
