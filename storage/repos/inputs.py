"""Pending inputs: one user's unfinished multi-step input in one chat, outside the claim form.

Building a proposal, labelling a file in the dispute chat as evidence, entering a blind bid,
giving proof of fulfilment: each is a few questions long, and a restart must lose nothing. A
working table like `drafts`, not part of the record: what the input produces is recorded by
the repository that stores it. One input per (user, chat); a new one replaces the old.

An input is consumed in the transaction that writes its effect (`clear_input=` on the
repositories, `delete_input` here): a crash between the two would otherwise either lose the
answer (input gone, effect not written) or apply it twice (effect written, input still there).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import ConcurrentUpdate, NotFound
from storage.ledger import touch_case
from storage.records import PendingInput
from storage.repos.base import Repo, dialect_insert
from storage.rows import input_from_row
from storage.tables import pending_inputs
from storage.types import normalise_json

__all__ = ["InputKey", "InputRepo", "delete_input"]

# (user id, chat id): whose input, typed where.
InputKey = tuple[int, int]

_T = pending_inputs.c


class InputRepo(Repo):
    """Reading, saving and clearing pending inputs."""

    async def get(self, user_id: int, chat_id: int) -> PendingInput | None:
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(pending_inputs).where(_T.user_id == user_id, _T.chat_id == chat_id)
                    )
                )
                .mappings()
                .first()
            )
            return None if row is None else input_from_row(row)

    async def put(
        self,
        user_id: int,
        chat_id: int,
        kind: str,
        case_id: int,
        step: str,
        data: Mapping[str, Any],
        now: datetime,
        expected_version: int | None = None,
    ) -> PendingInput:
        """Save the input (version 1 when new, else one more than before).

        Without `expected_version` it is saved over whatever is there. With it, only over that
        version: 0 means "there must be none yet". Raises ConcurrentUpdate when the stored
        version differs (a double press, another worker), NotFound for an unknown case.
        """
        values: dict[str, Any] = {
            "kind": kind,
            "case_id": case_id,
            "step": step,
            "data": normalise_json(dict(data)),  # bad values: plain ValueError/TypeError
            "updated_at": now,
        }
        key = (_T.user_id == user_id, _T.chat_id == chat_id)
        touch_case(case_id)  # a builder's step makes its earlier menus stale
        try:
            async with self._write() as conn:
                if expected_version is None or expected_version == 0:
                    stmt = dialect_insert(conn, pending_inputs).values(
                        user_id=user_id, chat_id=chat_id, version=1, **values
                    )
                    if expected_version is None:
                        stmt = stmt.on_conflict_do_update(
                            index_elements=[_T.user_id, _T.chat_id],
                            set_={**values, "version": _T.version + 1},
                        )
                    else:
                        stmt = stmt.on_conflict_do_nothing(index_elements=[_T.user_id, _T.chat_id])
                else:
                    stmt = (
                        update(pending_inputs)
                        .where(*key, _T.version == expected_version)
                        .values(version=_T.version + 1, **values)
                    )
                row = (await conn.execute(stmt.returning(*pending_inputs.c))).mappings().first()
                if row is not None:
                    return input_from_row(row)
                current = await conn.scalar(select(_T.version).where(*key))
        except IntegrityError as exc:  # the only constraint an upsert can break: the case
            raise NotFound(f"case {case_id} not found") from exc
        raise ConcurrentUpdate(
            f"input of user {user_id} in chat {chat_id} is at version {current or 0},"
            f" expected {expected_version}"
        )

    async def clear(self, user_id: int, chat_id: int) -> None:
        """Forget the input (cancelled, or answered with nothing to write); nothing happens if
        there is none. An input whose answer writes something is cleared by that write."""
        async with self._write() as conn:
            await delete_input(conn, (user_id, chat_id))

    async def clear_for_case(self, case_id: int) -> int:
        """Forget every input about the case (e.g. once it closes); returns how many."""
        async with self._write() as conn:
            touch_case(case_id)
            result = await conn.execute(delete(pending_inputs).where(_T.case_id == case_id))
            return int(result.rowcount)


async def delete_input(conn: AsyncConnection, key: InputKey | None) -> None:
    """Forget the input of `key` (user, chat) inside the caller's transaction (None: nothing)."""
    if key is None:
        return
    user_id, chat_id = key
    gone = await conn.execute(
        delete(pending_inputs)
        .where(_T.user_id == user_id, _T.chat_id == chat_id)
        .returning(_T.case_id)
    )
    for case_id in gone.scalars():  # a closed builder's menu, an answered reason's Skip
        touch_case(case_id)
