"""The mediator's binding decisions, D1, D2, ... per case, issued and confirmed whole.

`issue` writes the decision, the case's transition (DECIDE, or DISMISS for a dismissal of the
claim), the obligations it states and its news in ONE transaction, so a crash or a refusal
leaves nothing half-decided, and a second "Issue" press (or a re-delivered update) finds the
case no longer in arbitration and writes nothing. A reconsideration's decision replaces the one
in force: that one becomes "replaced" and its obligations not yet confirmed are cancelled, in
the same transaction. A decision is binding and replaces what the parties had agreed: the
settlement's obligations still open (pending, done or disputed; those with no decision) are
cancelled with it too, so they neither keep the case from closing as fulfilled nor make it
lapse as "not fulfilled"; the settlement's confirmed ones stay confirmed. `confirm` keeps the
decision in force (a reconsideration that changes nothing), with the new mediator's reasons on
the record.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.rules.lifecycle import LifecyclePolicy, Role
from storage.errors import NotFound
from storage.records import Decision, DecisionStatus, NewObligation, Obligation, ObligationStatus
from storage.repos.base import Repo, lock_case
from storage.repos.history import append_event
from storage.repos.inputs import InputKey, delete_input
from storage.repos.obligations import insert_obligations
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.transitions import Move, apply_move
from storage.rows import decision_from_row
from storage.tables import decisions, obligations

__all__ = ["DecisionNews", "DecisionRepo"]

# The messages telling of a decision, rendered from it, the obligations it created and the
# numbers of the settlement's open obligations it cancelled.
DecisionNews = Callable[
    [Decision, "builtins.list[Obligation]", "builtins.list[int]"], Sequence[OutboxMessage]
]
_D = decisions.c
_OPEN = (ObligationStatus.PENDING, ObligationStatus.DONE, ObligationStatus.DISPUTED)


async def _in_force(conn: AsyncConnection, case_id: int) -> Decision | None:
    row = (
        (
            await conn.execute(
                select(decisions).where(_D.case_id == case_id, _D.status == DecisionStatus.IN_FORCE)
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else decision_from_row(row)


async def _nothing_open(conn: AsyncConnection, case_id: int) -> bool:
    """Whether no obligation of the case is still to be done or confirmed (those cancelled
    with a replaced decision are owed by nobody)."""
    count = await conn.scalar(
        select(func.count())
        .select_from(obligations)
        .where(obligations.c.case_id == case_id, obligations.c.status.in_(_OPEN))
    )
    return not count


async def _cancel_open(
    conn: AsyncConnection,
    case_id: int,
    mediator_id: int,
    now: datetime,
    which: ColumnElement[bool],
    about: Mapping[str, Any],
) -> builtins.list[int]:
    """Cancel the case's open obligations `which` selects, each with its "obligation.cancelled"
    event ({number, **about}); their numbers, in order."""
    cancelled = await conn.execute(
        update(obligations)
        .where(obligations.c.case_id == case_id, which, obligations.c.status.in_(_OPEN))
        .values(status=ObligationStatus.CANCELLED)
        .returning(obligations.c.number)
    )
    numbers = sorted(int(number) for (number,) in cancelled.all())
    for number in numbers:
        await append_event(
            conn,
            case_id,
            mediator_id,
            Role.MEDIATOR,
            "obligation.cancelled",
            {"number": number, **about},
            now,
        )
    return numbers


class DecisionRepo(Repo):
    """Issuing, confirming and reading a case's decisions."""

    def __init__(self, engine: AsyncEngine, policy: LifecyclePolicy | None = None) -> None:
        super().__init__(engine)
        self._policy = policy or LifecyclePolicy()

    async def issue(
        self,
        case_id: int,
        mediator_id: int,
        now: datetime,
        *,
        terms: Mapping[str, Any] | None,
        reasons: str,
        cited: Sequence[int],
        no_evidence: bool,
        move: Move,
        new_obligations: Sequence[NewObligation] = (),
        news: DecisionNews | None = None,
        clear_input: InputKey | None = None,
        close: Move | None = None,
    ) -> tuple[Decision, builtins.list[Obligation]]:
        """Decision D<next>: `terms` (a Proposal's dict) or None for a dismissal of the claim.

        `move` is the case's transition (its guards raise IllegalTransition, a stale expected
        version ConcurrentUpdate: nothing is written then). The decision in force, if any, is
        replaced and its open obligations cancelled ("obligation.cancelled" {number,
        decision}); so are the settlement's open obligations ("obligation.cancelled" {number,
        settlement: true}), whose numbers `news` gets. Events "decision.issued" {number,
        outcome, terms, reasons, cited, no_evidence, replaces} and "obligation.created".
        ValueError for empty reasons.

        `close` (CLOSE_FULFILLED, with its news) is applied after the decision when no
        obligation of the case is left open (a decision that states none over a settlement,
        or a replacement that states none while those of the decision it replaces were
        confirmed): nothing is left to fulfil.
        """
        if not reasons.strip():
            raise ValueError("a decision needs reasons")
        async with self._write() as conn:
            await lock_case(conn, case_id)
            highest = await conn.scalar(select(func.max(_D.number)).where(_D.case_id == case_id))
            number = 1 if highest is None else int(highest) + 1
            await apply_move(
                conn, case_id, _with_payload(move, {"decision": number}), now, self._policy
            )
            previous = await _in_force(conn, case_id)
            if previous is not None:
                await self._replace(conn, previous, mediator_id, now)
            settlement = await _cancel_open(
                conn,
                case_id,
                mediator_id,
                now,
                obligations.c.decision_id.is_(None),
                {"settlement": True},
            )
            row = (
                (
                    await conn.execute(
                        insert(decisions)
                        .values(
                            case_id=case_id,
                            number=number,
                            mediator_id=mediator_id,
                            outcome="dismissal" if terms is None else "terms",
                            terms=None if terms is None else dict(terms),
                            reasons=reasons,
                            cited=list(cited),
                            no_evidence=no_evidence,
                            created_at=now,
                            replaces=None if previous is None else previous.id,
                            status=DecisionStatus.IN_FORCE,
                        )
                        .returning(*decisions.c)
                    )
                )
                .mappings()
                .one()
            )
            made = decision_from_row(row)
            await append_event(
                conn,
                case_id,
                mediator_id,
                Role.MEDIATOR,
                "decision.issued",
                {
                    "number": number,
                    "outcome": made.outcome,
                    "terms": made.terms,
                    "reasons": reasons,
                    "cited": list(cited),
                    "no_evidence": no_evidence,
                    "replaces": None if previous is None else previous.number,
                },
                now,
            )
            created = await insert_obligations(
                conn, case_id, new_obligations, now, mediator_id, Role.MEDIATOR, decision_id=made.id
            )
            await delete_input(conn, clear_input)
            if news is not None:
                await enqueue(conn, news(made, created, settlement), now)
            if close is not None and await _nothing_open(conn, case_id):
                await apply_move(conn, case_id, close, now, self._policy)
            return made, created

    async def confirm(
        self,
        case_id: int,
        mediator_id: int,
        now: datetime,
        *,
        reasons: str,
        cited: Sequence[int],
        no_evidence: bool,
        move: Move,
        outbox: Sequence[OutboxMessage] = (),
        clear_input: InputKey | None = None,
        close: Move | None = None,
    ) -> Decision:
        """A reconsideration keeps the decision in force: `move` returns the case to it
        (DECIDE, or DISMISS when it dismissed the claim); its obligations go on as they were.
        Event "decision.confirmed" {number, reasons, cited, no_evidence}. NotFound when the
        case has no decision in force.

        When every obligation of the decision was already confirmed (the case had closed as
        fulfilled before it was reconsidered), `close` (CLOSE_FULFILLED) closes the case again
        at once and its news is sent instead of `outbox`: decided under the case's lock, in
        this transaction, never left decided with nothing to do."""
        if not reasons.strip():
            raise ValueError("a confirmation needs reasons")
        async with self._write() as conn:
            await lock_case(conn, case_id)
            previous = await _in_force(conn, case_id)
            if previous is None:
                raise NotFound(f"case {case_id} has no decision in force")
            payload = {"decision": previous.number, "confirmed": True}
            await apply_move(conn, case_id, _with_payload(move, payload), now, self._policy)
            await append_event(
                conn,
                case_id,
                mediator_id,
                Role.MEDIATOR,
                "decision.confirmed",
                {
                    "number": previous.number,
                    "reasons": reasons,
                    "cited": list(cited),
                    "no_evidence": no_evidence,
                },
                now,
            )
            await delete_input(conn, clear_input)
            if close is not None and await _nothing_open(conn, case_id):
                await apply_move(conn, case_id, close, now, self._policy)
            else:
                await enqueue(conn, outbox, now)
            return previous

    async def _replace(
        self, conn: AsyncConnection, previous: Decision, mediator_id: int, now: datetime
    ) -> None:
        await conn.execute(
            update(decisions).where(_D.id == previous.id).values(status=DecisionStatus.REPLACED)
        )
        await _cancel_open(
            conn,
            previous.case_id,
            mediator_id,
            now,
            obligations.c.decision_id == previous.id,
            {"decision": previous.number},
        )

    async def in_force(self, case_id: int) -> Decision | None:
        async with self._read() as conn:
            return await _in_force(conn, case_id)

    async def list(self, case_id: int) -> builtins.list[Decision]:
        """Every decision of the case, D1 first."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(decisions).where(_D.case_id == case_id).order_by(_D.number)
            )
            return [decision_from_row(row) for row in rows.mappings()]


def _with_payload(move: Move, extra: Mapping[str, Any]) -> Move:
    return Move(
        move.action,
        move.actor_id,
        move.actor_role,
        reason=move.reason,
        payload={**(move.payload or {}), **extra},
        new_deadline=move.new_deadline,
        expected_version=move.expected_version,
        outbox=move.outbox,
    )
