"""Obligations: who does what by when after a settlement, and whether it was done.

Created with the settlement that states them (`insert_obligations`, inside that transaction),
numbered 1, 2, ... within the case. Each moves pending -> done -> confirmed, or done ->
disputed -> done again. Every move is a compare-and-set on the status, so a double press
applies once and the second gets Conflict. Who may mark or confirm is for the flows to check;
storage keeps the status machine and the record.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flows.rules.lifecycle import LifecyclePolicy, Role
from storage.errors import Conflict, NotFound
from storage.records import Case, NewObligation, Obligation, ObligationStatus, Proposal
from storage.repos.base import Repo, joined_case, lock_case, with_its_case
from storage.repos.cases import role_in
from storage.repos.history import append_event
from storage.repos.inputs import InputKey, delete_input
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.transitions import Move, apply_move, fetch_case
from storage.rows import obligation_from_row
from storage.tables import evidence, obligations

__all__ = ["ObligationRepo", "insert_obligations"]

_S = ObligationStatus
_WITH_CASE = with_its_case(obligations)  # a press on an obligation's buttons reads both


def _created_payload(item: Obligation, proposal: Proposal | None) -> dict[str, Any]:
    return {
        "number": item.number,
        "proposal": None if proposal is None else proposal.number,
        "party_role": item.party_role.value,
        "kind": item.kind,
        "amount": item.amount,
        "currency": item.currency,
        "due_at": item.due_at,
        "details": item.details,
    }


async def insert_obligations(
    conn: AsyncConnection,
    case_id: int,
    new: Sequence[NewObligation],
    now: datetime,
    actor_id: int | None,
    actor_role: Role,
    *,
    proposal: Proposal | None = None,
    decision_id: int | None = None,
) -> builtins.list[Obligation]:
    """Record obligations inside the caller's transaction, with "obligation.created" events;
    `decision_id` names the mediator's decision that states them, if one does.

    They get the next numbers of the case, in the order given. The caller holds the case lock
    (or this takes it).
    """
    for item in new:
        if item.amount is not None and (not item.amount.is_finite() or item.currency is None):
            raise ValueError(f"an obligation's amount needs a finite value and a currency: {item}")
    await lock_case(conn, case_id)
    highest = await conn.scalar(
        select(func.max(obligations.c.number)).where(obligations.c.case_id == case_id)
    )
    number = 0 if highest is None else int(highest)
    created: builtins.list[Obligation] = []
    for item in new:
        number += 1
        row = (
            (
                await conn.execute(
                    insert(obligations)
                    .values(
                        case_id=case_id,
                        proposal_id=None if proposal is None else proposal.id,
                        decision_id=decision_id,
                        number=number,
                        party_role=Role(item.party_role).value,
                        kind=item.kind,
                        amount=None if item.amount is None else str(item.amount),
                        currency=item.currency,
                        due_at=item.due_at,
                        details=dict(item.details),
                        status=_S.PENDING,
                        created_at=now,
                    )
                    .returning(*obligations.c)
                )
            )
            .mappings()
            .one()
        )
        obligation = obligation_from_row(row)
        await append_event(
            conn,
            case_id,
            actor_id,
            actor_role,
            "obligation.created",
            _created_payload(obligation, proposal),
            now,
        )
        created.append(obligation)
    return created


class ObligationRepo(Repo):
    """Reading obligations and moving them through done, confirmed and disputed."""

    def __init__(self, engine: AsyncEngine, policy: LifecyclePolicy | None = None) -> None:
        super().__init__(engine)
        self._policy = policy or LifecyclePolicy()

    async def list(self, case_id: int) -> builtins.list[Obligation]:
        """The case's obligations in number order."""
        async with self._read() as conn:
            result = await conn.execute(
                select(obligations)
                .where(obligations.c.case_id == case_id)
                .order_by(obligations.c.number)
            )
            return [obligation_from_row(row) for row in result.mappings()]

    async def get(self, obligation_id: int) -> Obligation | None:
        async with self._read() as conn:
            return await _fetch(conn, obligation_id)

    async def with_case(self, obligation_id: int) -> tuple[Obligation, Case] | None:
        """The obligation and its case, read in one statement (a press on its buttons)."""
        async with self._read_one() as conn:
            row = (await conn.execute(_WITH_CASE, {"row_id": obligation_id})).mappings().first()
        return None if row is None else (obligation_from_row(row), joined_case(row))

    async def case_of(self, obligation_id: int) -> int | None:
        """The case of the obligation (None: no such obligation), read once per obligation."""
        return await self._case_of(obligations, obligation_id)

    async def mark_done(
        self,
        obligation_id: int,
        user_id: int,
        now: datetime,
        proof_evidence_number: int | None = None,
        *,
        outbox: Sequence[OutboxMessage] = (),
        clear_input: InputKey | None = None,
    ) -> Obligation:
        """pending or disputed -> done (event "obligation.done" {number, proof}).

        `proof_evidence_number` must name an item of the case (NotFound otherwise). `outbox`:
        the news of it, queued in the same transaction (also for `confirm`); `clear_input`
        the pending input (user, chat) the proof was asked in, consumed with it.
        """

        async def check(conn: AsyncConnection, item: Obligation) -> None:
            if proof_evidence_number is None:
                return
            found = await conn.scalar(
                select(evidence.c.id).where(
                    evidence.c.case_id == item.case_id,
                    evidence.c.number == proof_evidence_number,
                    evidence.c.removed_at.is_(None),
                )
            )
            if found is None:
                raise NotFound(f"no evidence E{proof_evidence_number} in case {item.case_id}")

        return await self._move(
            obligation_id,
            user_id,
            now,
            {_S.PENDING, _S.DISPUTED},
            {
                "status": _S.DONE,
                "done_at": now,
                "done_by": user_id,
                "proof_evidence_number": proof_evidence_number,
            },
            "obligation.done",
            {"proof_evidence_number": proof_evidence_number},
            check,
            outbox,
            clear_input=clear_input,
        )

    async def confirm(
        self,
        obligation_id: int,
        user_id: int,
        now: datetime,
        *,
        outbox: Sequence[OutboxMessage] = (),
        close: Move | None = None,
    ) -> Obligation:
        """done -> confirmed (event "obligation.confirmed").

        When this confirms the case's last open obligation and `close` is given, the case
        moves by `close` (closing it as fulfilled) in the same transaction and `close.outbox`
        is queued instead of `outbox`: the last confirmation and the closing commit together,
        decided under the case's lock, so of two last confirmations at once one closes.
        """
        values = {"status": _S.CONFIRMED, "confirmed_at": now, "confirmed_by": user_id}
        return await self._move(
            obligation_id,
            user_id,
            now,
            {_S.DONE},
            values,
            "obligation.confirmed",
            {},
            None,
            outbox,
            close=close,
        )

    async def dispute(
        self,
        obligation_id: int,
        user_id: int,
        now: datetime,
        reason: str,
        *,
        move: Move | None = None,
    ) -> Obligation:
        """done -> disputed (event "obligation.disputed" {number, reason}); `move` (the case
        to mediation, with its news) is applied in the same transaction, and a refusal of it
        leaves the obligation as it was."""
        if not reason.strip():
            raise ValueError("a dispute needs a reason")
        values = {
            "status": _S.DISPUTED,
            "disputed_at": now,
            "disputed_by": user_id,
            "dispute_reason": reason,
        }
        return await self._move(
            obligation_id,
            user_id,
            now,
            {_S.DONE},
            values,
            "obligation.disputed",
            {"reason": reason},
            move=move,
        )

    async def all_confirmed(self, case_id: int) -> bool:
        """Whether the case has obligations and every one is confirmed."""
        async with self._read() as conn:
            return await _all_confirmed(conn, case_id)

    async def _move(
        self,
        obligation_id: int,
        user_id: int,
        now: datetime,
        allowed_from: set[str],
        values: dict[str, Any],
        kind: str,
        payload: dict[str, Any],
        check: Callable[[AsyncConnection, Obligation], Awaitable[None]] | None = None,
        outbox: Sequence[OutboxMessage] = (),
        *,
        move: Move | None = None,
        close: Move | None = None,
        clear_input: InputKey | None = None,
    ) -> Obligation:
        """Compare-and-set the status from one of `allowed_from`, with its event; then `move`,
        and `close` if no obligation of the case is left unconfirmed (see `confirm`)."""
        async with self._write() as conn:
            item = await _fetch(conn, obligation_id)
            if item is None:
                raise NotFound(f"obligation {obligation_id} not found")
            await lock_case(conn, item.case_id)
            item = await _fetch(conn, obligation_id)
            assert item is not None  # obligations are never deleted
            if item.status not in allowed_from:
                raise Conflict(f"obligation is {item.status}")
            if check is not None:
                await check(conn, item)
            row = (
                (
                    await conn.execute(
                        update(obligations)
                        .where(
                            obligations.c.id == obligation_id,
                            obligations.c.status.in_(allowed_from),
                        )
                        .values(**values)
                        .returning(*obligations.c)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise Conflict(f"obligation {obligation_id} changed meanwhile")
            case = await fetch_case(conn, item.case_id)
            role = None if case is None else role_in(case, user_id)
            await append_event(
                conn,
                item.case_id,
                user_id,
                role or Role.SYSTEM,
                kind,
                {"number": item.number, **payload},
                now,
            )
            await delete_input(conn, clear_input)
            if move is not None:
                await apply_move(conn, item.case_id, move, now, self._policy)
            if close is not None and await _all_confirmed(conn, item.case_id):
                await apply_move(conn, item.case_id, close, now, self._policy)
            else:
                await enqueue(conn, outbox, now)
            return obligation_from_row(row)


async def _all_confirmed(conn: AsyncConnection, case_id: int) -> bool:
    # An obligation cancelled with a replaced decision is owed by nobody any more.
    row = (
        await conn.execute(
            select(
                func.count(),
                func.count().filter(obligations.c.status != _S.CONFIRMED),
            ).where(obligations.c.case_id == case_id, obligations.c.status != _S.CANCELLED)
        )
    ).one()
    return int(row[0]) > 0 and int(row[1]) == 0


async def _fetch(conn: AsyncConnection, obligation_id: int) -> Obligation | None:
    row = (
        (await conn.execute(select(obligations).where(obligations.c.id == obligation_id)))
        .mappings()
        .first()
    )
    return None if row is None else obligation_from_row(row)
