"""Drafts: the claim form's progress (current step, answers, the way back).

A working table, not part of the record: the submitted claim lives on the case, and a draft row
may be deleted once the claim is submitted or abandoned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import ConcurrentUpdate, NotFound
from storage.records import Draft
from storage.repos.base import Repo
from storage.rows import draft_from_row
from storage.tables import drafts
from storage.types import normalise_json

__all__ = ["DraftRepo", "delete_draft"]


def _draft_save(*, versioned: bool) -> Any:
    query = update(drafts).where(drafts.c.case_id == bindparam("draft_case"))
    if versioned:
        query = query.where(drafts.c.version == bindparam("draft_version"))
    return query.values(
        step=bindparam("draft_step", type_=drafts.c.step.type),
        answers=bindparam("draft_answers", type_=drafts.c.answers.type),
        back_stack=bindparam("draft_stack", type_=drafts.c.back_stack.type),
        version=drafts.c.version + 1,
        updated_at=bindparam("draft_at", type_=drafts.c.updated_at.type),
    ).returning(*drafts.c)


# Saving the form, built once (every answer saves it): over any version, or over one.
_SAVE = _draft_save(versioned=False)
_SAVE_OVER = _draft_save(versioned=True)


class DraftRepo(Repo):
    """Reading and saving claim forms."""

    async def get(self, case_id: int) -> Draft | None:
        async with self._read_one() as conn:
            row = (
                (await conn.execute(select(drafts).where(drafts.c.case_id == case_id)))
                .mappings()
                .first()
            )
            return None if row is None else draft_from_row(row)

    async def save(
        self,
        case_id: int,
        step: str,
        answers: Mapping[str, Any],
        back_stack: Sequence[str],
        now: datetime,
        expected_version: int | None = None,
    ) -> Draft:
        """Store the form's progress; with `expected_version`, only over that version.

        Raises ConcurrentUpdate when the stored version differs (another update of the same
        form got there first), NotFound when there is no draft for the case.
        """
        params = {
            "draft_case": case_id,
            "draft_version": expected_version,
            "draft_step": step,
            "draft_answers": normalise_json(dict(answers)),
            "draft_stack": normalise_json(list(back_stack)),
            "draft_at": now,
        }
        query = _SAVE if expected_version is None else _SAVE_OVER
        async with self._write() as conn:
            row = (await conn.execute(query, params)).mappings().first()
            if row is not None:
                return draft_from_row(row)
            current = await conn.scalar(select(drafts.c.version).where(drafts.c.case_id == case_id))
        if current is None:
            raise NotFound(f"no draft for case {case_id}")
        raise ConcurrentUpdate(
            f"draft of case {case_id} is at version {current}, expected {expected_version}"
        )

    async def delete(self, case_id: int) -> None:
        """Drop the form (after submit or abandon); nothing happens if there is none."""
        async with self._write() as conn:
            await delete_draft(conn, case_id)


async def delete_draft(conn: AsyncConnection, case_id: int) -> None:
    """Drop the case's form inside the caller's transaction (filing it, or its expiry)."""
    await conn.execute(delete(drafts).where(drafts.c.case_id == case_id))
