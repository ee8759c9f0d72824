"""The one-time invite links the bot made into dispute chats, so that none is forgotten.

Telegram's `member_limit` counts members who joined through a link *at the same time*: once the
person who used a one-time link leaves (or is removed), the link works again. So the bot keeps
every link it makes, and revokes it on Telegram as soon as it is used, when a newer link for the
same party replaces it, and when the case closes. This repository only records; the Telegram
calls are the flow's (`flows.chat_links`).
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import insert, select, update

from storage.access import ChatLink, ChatLinkStatus
from storage.repos.base import Repo
from storage.rows import chat_link_from_row
from storage.tables import chat_invite_links

__all__ = ["ChatLinkRepo"]

_L = chat_invite_links.c


class ChatLinkRepo(Repo):
    """Recording chat invite links and what became of them."""

    async def add(
        self,
        case_id: int,
        chat_id: int,
        user_id: int,
        invite_link: str,
        now: datetime,
        expires_at: datetime,
    ) -> ChatLink:
        """A link just made on Telegram for `user_id` (status live)."""
        async with self._write() as conn:
            row = (
                (
                    await conn.execute(
                        insert(chat_invite_links)
                        .values(
                            case_id=case_id,
                            chat_id=chat_id,
                            user_id=user_id,
                            invite_link=invite_link,
                            status=ChatLinkStatus.LIVE,
                            created_at=now,
                            expires_at=expires_at,
                            used_by=None,
                            used_at=None,
                            revoked_at=None,
                        )
                        .returning(*chat_invite_links.c)
                    )
                )
                .mappings()
                .one()
            )
            return chat_link_from_row(row)

    async def live(
        self, case_id: int, now: datetime, *, user_id: int | None = None
    ) -> builtins.list[ChatLink]:
        """The case's links nobody has used, revoked or outlived yet (of `user_id` only, when
        given), oldest first."""
        query = select(chat_invite_links).where(
            _L.case_id == case_id, _L.status == ChatLinkStatus.LIVE, _L.expires_at > now
        )
        if user_id is not None:
            query = query.where(_L.user_id == user_id)
        async with self._read() as conn:
            result = await conn.execute(query.order_by(_L.id))
            return [chat_link_from_row(row) for row in result.mappings()]

    async def list(self, case_id: int) -> builtins.list[ChatLink]:
        """Every link of the case, oldest first."""
        async with self._read() as conn:
            result = await conn.execute(
                select(chat_invite_links).where(_L.case_id == case_id).order_by(_L.id)
            )
            return [chat_link_from_row(row) for row in result.mappings()]

    async def mark_used(
        self, chat_id: int, invite_link: str, user_id: int, now: datetime
    ) -> ChatLink | None:
        """Someone joined `chat_id` with the link: live -> used. None when the link is not one
        of ours, or was already used or revoked (a re-delivered update changes nothing)."""
        return await self._move(
            (_L.chat_id == chat_id, _L.invite_link == invite_link),
            status=ChatLinkStatus.USED,
            used_by=user_id,
            used_at=now,
        )

    async def mark_revoked(self, invite_link: str, now: datetime) -> ChatLink | None:
        """The link was revoked on Telegram before anyone used it: live -> revoked. None when it
        was no longer live."""
        return await self._move(
            (_L.invite_link == invite_link,), status=ChatLinkStatus.REVOKED, revoked_at=now
        )

    async def _move(self, where: tuple[object, ...], **values: object) -> ChatLink | None:
        async with self._write() as conn:
            row = (
                (
                    await conn.execute(
                        update(chat_invite_links)
                        .where(*where, _L.status == ChatLinkStatus.LIVE)  # type: ignore[arg-type]
                        .values(**values)
                        .returning(*chat_invite_links.c)
                    )
                )
                .mappings()
                .first()
            )
            return None if row is None else chat_link_from_row(row)
