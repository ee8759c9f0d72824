"""Who a case's supplier is: joining through an invitation, and being replaced by the buyer.

Joining consumes the invitation token and records the supplier in one transaction, so a token
is never spent without a supplier to show for it (nor the other way round). Before the supplier
has answered the claim, the buyer may remove a wrong one: the case goes back to waiting for a
supplier, and whatever the removed person had half-typed about the case is forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, update

from flows.rules.lifecycle import CaseState, Role
from storage.access import RevokeReason
from storage.errors import Conflict
from storage.records import Case
from storage.repos.base import Repo, lock_case
from storage.repos.cases import record_supplier
from storage.repos.history import append_event
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.tokens import consume_token, revoke_live_tokens
from storage.repos.transitions import fetch_case
from storage.rows import case_from_row
from storage.tables import cases, pending_inputs

__all__ = ["SupplierRepo"]


class SupplierRepo(Repo):
    """Setting and removing the supplier of a case."""

    async def join(
        self,
        case_id: int,
        token: str,
        user_id: int,
        now: datetime,
        purpose: str,
        *,
        outbox: Sequence[OutboxMessage] = (),
    ) -> Case:
        """`user_id` becomes the supplier of the case with the invitation `token`.

        In one transaction: the token is consumed (TokenInvalid with the reason when it cannot
        be: unknown, wrong purpose, used, revoked, expired), the supplier is set (event
        "case.supplier_joined") and any other unused invitation of the case is revoked as
        replaced. Raises Conflict when the token is not this case's, the case no longer waits
        for a supplier, already has another one, or `user_id` is its buyer. The same supplier
        pressing again gets the case back unchanged (the token is theirs already).
        """
        async with self._write() as conn:
            await lock_case(conn, case_id)
            case = await fetch_case(conn, case_id)
            assert case is not None  # lock_case raised NotFound otherwise
            if case.supplier_id == user_id:
                return case
            if case.supplier_id is not None:
                raise Conflict(f"case {case_id} already has a supplier")
            if case.state is not CaseState.AWAITING_SUPPLIER:
                raise Conflict(f"case {case_id} no longer waits for a supplier")
            used = await consume_token(conn, token, user_id, now, purpose)
            if used.case_id != case_id:
                raise Conflict(f"token is not an invitation of case {case_id}")
            joined = await record_supplier(conn, case, user_id, now)
            assert joined is not None  # the case's lock is held and it had no supplier
            await revoke_live_tokens(conn, case_id, RevokeReason.REPLACED, now, purpose=purpose)
            await enqueue(conn, outbox, now)  # the news of it commits with it
            return joined

    async def remove(self, case_id: int, supplier_id: int, buyer_id: int, now: datetime) -> Case:
        """The buyer removes `supplier_id` as the case's supplier (event
        "case.supplier_removed"); the case waits for a supplier again.

        Only while the supplier has not answered the claim (state awaiting_supplier) and only
        that supplier: a stale or repeated press raises Conflict and changes nothing. The
        removed person's pending inputs about the case (a contest statement, a proposal being
        built) are deleted with it, so nothing they half-typed can act on the case later.
        """
        async with self._write() as conn:
            await lock_case(conn, case_id)
            case = await fetch_case(conn, case_id)
            assert case is not None
            if case.buyer_id != buyer_id:
                raise Conflict(f"user {buyer_id} is not the buyer of case {case_id}")
            if case.supplier_id != supplier_id or case.state is not CaseState.AWAITING_SUPPLIER:
                raise Conflict(f"supplier {supplier_id} of case {case_id} cannot be removed now")
            row = (
                (
                    await conn.execute(
                        update(cases)
                        .where(
                            cases.c.id == case_id,
                            cases.c.supplier_id == supplier_id,
                            cases.c.state == CaseState.AWAITING_SUPPLIER.value,
                        )
                        .values(
                            supplier_id=None,
                            version=cases.c.version + 1,
                            updated_at=now,
                            last_activity_at=now,
                        )
                        .returning(*cases.c)
                    )
                )
                .mappings()
                .one()
            )
            await conn.execute(
                delete(pending_inputs).where(
                    pending_inputs.c.case_id == case_id, pending_inputs.c.user_id == supplier_id
                )
            )
            await append_event(
                conn,
                case_id,
                buyer_id,
                Role.BUYER,
                "case.supplier_removed",
                {"supplier_id": supplier_id},
                now,
            )
            return case_from_row(row)
