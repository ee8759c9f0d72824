"""The case's shared dispute chat: which Telegram group belongs to which case.

One chat per case and one case per chat. A group bound to a case stays that case's even after
the bot left it (what was said there is that case's record, not to be mixed with another's).
A case whose chat was left (the bot was removed) may bind a chat again: the same group, or a
new one, which then takes the old one's place.
Telegram gives a group a new id when it becomes a supergroup; `migrate_chat` follows it, and
the old id still leads to the case (`former_chat_id`) for what was said there before the move.

Every change takes the case lock first (then the chat row), so on PostgreSQL writers to one case
queue instead of deadlocking; on SQLite write transactions already run one at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.lifecycle import Role
from storage.errors import Conflict, NotFound
from storage.records import CaseChat, ChatStatus
from storage.repos.base import Repo, lock_case
from storage.repos.cases import role_in
from storage.repos.history import append_event
from storage.repos.transitions import fetch_case
from storage.rows import chat_from_row
from storage.tables import case_chats, chat_invite_links, pending_inputs

__all__ = ["ChatRepo"]


class ChatRepo(Repo):
    """Binding, reading and following the shared dispute chat of a case."""

    async def bind(
        self,
        case_id: int,
        chat_id: int,
        bound_by: int,
        now: datetime,
        *,
        title: str | None = None,
    ) -> CaseChat:
        """Make `chat_id` the case's shared chat (event "chat.bound" {chat_id}).

        Binding the same pair again returns it unchanged (re-binding it if the bot had left).
        Raises Conflict when the case already has another bound chat or the chat belongs to
        another case; NotFound for an unknown case. The event's actor is `bound_by` in their
        role in the case (the system when they have none).
        """

        async def attempt() -> CaseChat:
            async with self._write() as conn:
                await lock_case(conn, case_id)
                by_chat = await _fetch(conn, case_chats.c.chat_id == chat_id)
                if by_chat is not None and by_chat.case_id != case_id:
                    raise Conflict(f"chat {chat_id} belongs to case {by_chat.case_id}")
                current = await _fetch(conn, case_chats.c.case_id == case_id)
                if current is not None and current.status == ChatStatus.BOUND:
                    if current.chat_id == chat_id:
                        return current
                    raise Conflict(f"case {case_id} already has chat {current.chat_id}")
                values: dict[str, Any] = {
                    "chat_id": chat_id,
                    "status": ChatStatus.BOUND,
                    "bound_by": bound_by,
                    "bound_at": now,
                    "title": title,
                    "can_record": False,  # unknown until the bot checks its rights there
                    "updated_at": now,
                }
                if current is not None and current.chat_id != chat_id:
                    values["former_chat_id"] = None  # a new chat takes over: nothing before it
                if current is None:
                    stmt: Any = insert(case_chats).values(case_id=case_id, **values)
                else:  # the bot had left: this chat (or a new one) takes over
                    stmt = (
                        update(case_chats).where(case_chats.c.case_id == case_id).values(**values)
                    )
                row = (await conn.execute(stmt.returning(*case_chats.c))).mappings().one()
                case = await fetch_case(conn, case_id)
                role = None if case is None else role_in(case, bound_by)
                await append_event(
                    conn,
                    case_id,
                    bound_by,
                    role or Role.SYSTEM,
                    "chat.bound",
                    {"chat_id": chat_id},
                    now,
                )
                return chat_from_row(row)

        # Two cases binding one chat at once: the loser hits the unique chat_id and, on its
        # next attempt, sees the winner's row and raises Conflict.
        return await self._retry_unique(attempt, f"chat {chat_id} of case {case_id}")

    async def for_case(self, case_id: int) -> CaseChat | None:
        """The case's chat (bound, or left), if it ever had one."""
        async with self._read() as conn:
            return await _fetch(conn, case_chats.c.case_id == case_id)

    async def case_for_chat(self, chat_id: int) -> CaseChat | None:
        """The binding of `chat_id` (bound, or left), if it belongs to a case; also for the
        basic group a case's supergroup was before Telegram upgraded it."""
        async with self._read() as conn:
            found = await _fetch(conn, case_chats.c.chat_id == chat_id)
            return found or await _fetch(conn, case_chats.c.former_chat_id == chat_id)

    async def set_recording(self, chat_id: int, can_record: bool, now: datetime) -> CaseChat:
        """Note whether the bot can see every message in the chat.

        The event "chat.recording" {can_record} is recorded only when the value changes.
        Raises NotFound when the chat belongs to no case.
        """
        async with self._write() as conn:
            chat = await self._locked(conn, chat_id)
            if chat.can_record == can_record:
                return chat
            row = await _update(conn, chat_id, can_record=can_record, updated_at=now)
            await append_event(
                conn,
                chat.case_id,
                None,
                Role.SYSTEM,
                "chat.recording",
                {"chat_id": chat_id, "can_record": can_record},
                now,
            )
            return row

    async def unbind(self, chat_id: int, now: datetime) -> CaseChat | None:
        """The bot left the chat or was removed: status "left" (event "chat.left").

        Returns None for a chat that belongs to no case (Telegram reports leaving any group);
        a chat already left is returned unchanged, without a second event.
        """
        async with self._write() as conn:
            try:
                chat = await self._locked(conn, chat_id)
            except NotFound:
                return None
            if chat.status == ChatStatus.LEFT:
                return chat
            row = await _update(
                conn, chat_id, status=ChatStatus.LEFT, can_record=False, updated_at=now
            )
            await append_event(
                conn, chat.case_id, None, Role.SYSTEM, "chat.left", {"chat_id": chat_id}, now
            )
            return row

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int, now: datetime) -> CaseChat:
        """Follow a group that became a supergroup (event "chat.migrated" {from, to}).

        The inputs people were typing in the group (pending_inputs of that chat) move with it,
        in the same transaction. Telegram reports the move in both chats (and the bot may learn
        of it from a refused request too), so a second call finds the binding already moved
        and returns it, changing nothing. Raises NotFound when neither id belongs to a case,
        Conflict when the new id belongs to another case.
        """
        async with self._write() as conn:
            try:
                chat = await self._locked(conn, old_chat_id)
            except NotFound:
                moved = await _fetch(conn, case_chats.c.chat_id == new_chat_id)
                if moved is None:
                    raise
                return moved
            other = await _fetch(conn, case_chats.c.chat_id == new_chat_id)
            if other is not None:
                raise Conflict(f"chat {new_chat_id} belongs to case {other.case_id}")
            row = await _update(
                conn, old_chat_id, chat_id=new_chat_id, former_chat_id=old_chat_id, updated_at=now
            )
            await _move_inputs(conn, old_chat_id, new_chat_id)
            # Invite links carry over to the supergroup; kept under its id, they can be revoked.
            await conn.execute(
                update(chat_invite_links)
                .where(chat_invite_links.c.chat_id == old_chat_id)
                .values(chat_id=new_chat_id)
            )
            await append_event(
                conn,
                chat.case_id,
                None,
                Role.SYSTEM,
                "chat.migrated",
                {"from_chat_id": old_chat_id, "to_chat_id": new_chat_id},
                now,
            )
            return row

    async def _locked(self, conn: AsyncConnection, chat_id: int) -> CaseChat:
        """The chat's binding, read again under its case's lock; NotFound if there is none."""
        chat = await _fetch(conn, case_chats.c.chat_id == chat_id)
        if chat is None:
            raise NotFound(f"chat {chat_id} belongs to no case")
        await lock_case(conn, chat.case_id)
        chat = await _fetch(conn, case_chats.c.chat_id == chat_id)
        if chat is None:  # it moved to a new id while we waited for the lock
            raise NotFound(f"chat {chat_id} belongs to no case")
        return chat


async def _move_inputs(conn: AsyncConnection, old_chat_id: int, new_chat_id: int) -> None:
    """Half-typed inputs of the group go on in the supergroup; one already started there is
    newer and stays."""
    taken = select(pending_inputs.c.user_id).where(pending_inputs.c.chat_id == new_chat_id)
    await conn.execute(
        delete(pending_inputs).where(
            pending_inputs.c.chat_id == old_chat_id, pending_inputs.c.user_id.in_(taken)
        )
    )
    await conn.execute(
        update(pending_inputs)
        .where(pending_inputs.c.chat_id == old_chat_id)
        .values(chat_id=new_chat_id)
    )


async def _fetch(conn: AsyncConnection, where: Any) -> CaseChat | None:
    row = (await conn.execute(select(case_chats).where(where))).mappings().first()
    return None if row is None else chat_from_row(row)


async def _update(conn: AsyncConnection, chat_id: int, /, **values: Any) -> CaseChat:
    row = (
        (
            await conn.execute(
                update(case_chats)
                .where(case_chats.c.chat_id == chat_id)
                .values(**values)
                .returning(*case_chats.c)
            )
        )
        .mappings()
        .one()
    )
    return chat_from_row(row)
