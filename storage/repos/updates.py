"""Reading and pruning the update ledger (`handled_updates`, see `storage/ledger.py`).

Rows are written by `Repo._write`, in the transaction of an update's first effect; here is only
the early check and the pruning. The early check also reads the sender's row and pending input
(`first_look`): one read transaction where the update would otherwise open three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, literal, select

from flows.rules.lifecycle import CaseState
from storage.records import Case, Draft, PendingInput, User
from storage.repos.base import Repo
from storage.rows import case_from_row, draft_from_row, input_from_row, user_from_row
from storage.tables import cases, drafts, handled_updates, pending_inputs, users

__all__ = ["FirstLook", "UpdateRepo"]


@dataclass(frozen=True)
class FirstLook:
    """What an update's handlers read first, read with its ledger check (`first_look`)."""

    user: User | None  # the sender's row (None: not seen before)
    pending: PendingInput | None  # the sender's pending input in the update's chat
    # in their private chat: their claim in progress, as `CaseRepo.active_draft_for` reads it
    # (None: none; not read for an update from another chat)
    draft: tuple[Case, Draft] | None = None


_HANDLED = select(handled_updates.c.update_id).where(
    handled_updates.c.bot_id == bindparam("bot"),
    handled_updates.c.update_id == bindparam("update"),
)
# `first_look` in one statement (three before): the ledger check as a scalar subquery, and the
# sender's row and pending input in the chat outer-joined to a one-row select (so the row is
# there when neither is); their columns as user_<name> and input_<name>. Built once.
_ONE = select(literal(1).label("one")).subquery("one")
_FIRST_LOOK = select(
    _HANDLED.scalar_subquery().label("handled"),
    *(column.label(f"user_{column.name}") for column in users.c),
    *(column.label(f"input_{column.name}") for column in pending_inputs.c),
).select_from(
    _ONE.outerjoin(users, users.c.id == bindparam("user")).outerjoin(
        pending_inputs,
        and_(
            pending_inputs.c.user_id == bindparam("user"),
            pending_inputs.c.chat_id == bindparam("chat"),
        ),
    )
)


# In the sender's private chat, also their claim in progress (each of their messages there
# answers it): the newest case of theirs in state draft that has a form, with the form, as
# dcase_<name> and dform_<name>.
_DRAFT_CASE = cases.alias("draft_case")
_DRAFT_FORM = drafts.alias("draft_form")
_NEWEST_DRAFT = (
    select(cases.c.id)
    .join(drafts, drafts.c.case_id == cases.c.id)
    .where(cases.c.buyer_id == bindparam("user"), cases.c.state == CaseState.DRAFT.value)
    .order_by(cases.c.created_at.desc(), cases.c.id.desc())
    .limit(1)
    .scalar_subquery()
    .correlate(None)  # a query of its own, not tied to the outer query's tables
)
_FIRST_LOOK_PRIVATE = (
    _FIRST_LOOK.add_columns(
        *(column.label(f"dcase_{column.name}") for column in _DRAFT_CASE.c),
        *(column.label(f"dform_{column.name}") for column in _DRAFT_FORM.c),
    )
    .outerjoin(_DRAFT_CASE, _DRAFT_CASE.c.id == _NEWEST_DRAFT)
    .outerjoin(_DRAFT_FORM, _DRAFT_FORM.c.case_id == _DRAFT_CASE.c.id)
)


class UpdateRepo(Repo):
    """The ledger of handled updates."""

    async def handled(self, bot_id: int, update_id: int) -> bool:
        """Whether this update was handled with effects before."""
        async with self._read() as conn:
            found = await conn.scalar(
                select(handled_updates.c.update_id).where(
                    handled_updates.c.bot_id == bot_id, handled_updates.c.update_id == update_id
                )
            )
        return found is not None

    async def first_look(
        self, bot_id: int, update_id: int, user_id: int | None, chat_id: int | None
    ) -> FirstLook | None:
        """None when this update was handled before; else the sender's row and their pending
        input in the chat (None: none), and in their private chat their claim in progress,
        read in the one statement of the ledger check."""
        private = user_id is not None and chat_id == user_id
        async with self._read_one() as conn:  # one statement either way
            if user_id is None:
                found = await conn.scalar(_HANDLED, {"bot": bot_id, "update": update_id})
                return None if found is not None else FirstLook(None, None)
            params = {"bot": bot_id, "update": update_id, "user": user_id, "chat": chat_id}
            query = _FIRST_LOOK_PRIVATE if private else _FIRST_LOOK
            row = (await conn.execute(query, params)).mappings().one()
        if row["handled"] is not None:
            return None
        user = None
        if row["user_id"] is not None:
            user = user_from_row({c.name: row[f"user_{c.name}"] for c in users.c})
        pending = None
        if row["input_user_id"] is not None:  # (no chat: `chat_id = NULL` matches no row)
            pending = input_from_row({c.name: row[f"input_{c.name}"] for c in pending_inputs.c})
        draft = None
        if private and row["dform_case_id"] is not None:
            draft = (
                case_from_row({c.name: row[f"dcase_{c.name}"] for c in cases.c}),
                draft_from_row({c.name: row[f"dform_{c.name}"] for c in drafts.c}),
            )
        return FirstLook(user, pending, draft)

    async def prune(self, before: datetime) -> int:
        """Forget updates handled before `before`; returns how many.

        Telegram keeps an unconfirmed update for 24 hours, so an older row can never meet its
        update again; and after a week without updates Telegram picks the next id at random,
        which an old row must not shadow.
        """
        async with self._write(ledger=False) as conn:
            result = await conn.execute(
                delete(handled_updates).where(handled_updates.c.handled_at < before)
            )
        return int(result.rowcount or 0)
