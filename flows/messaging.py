"""Sending to a reader: long texts split at Telegram's 4096-character limit, failures recorded,
and groups followed into the supergroups Telegram upgrades them to.

`post` raises every Telegram error. `send`, for replies to the person who acted, turns a
refusal because the user blocked the bot or never started it into a logged `None`, never
silently lost: the caller decides on another route; any other error goes up to the error
handler, which apologises. Announcements to several readers go through `flows.audience`, which
delivers to each one on its own.

When Telegram upgrades a basic group to a supergroup, the group gets a new id and every later
request for the old id is refused with the new one (python-telegram-bot's `ChatMigrated`).
`ChatTarget.call` is the one place that handles it, for every call the bot makes about a chat:
sending, pinning, invite links, bans, membership checks, edits. It lets `follow` move what
belonged to the old id (for a dispute chat: `flows.chat_migration.follower`) and makes the
call again at the new id, so what failed is sent after all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096
T = TypeVar("T")
# follow(old chat id, new chat id): a group turned out to be a supergroup now.
Follow = Callable[[int, int], Awaitable[None]]


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split at line breaks where possible, never inside a character, each part <= limit."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = line if not current else current + "\n" + line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        current = line
    if current or not parts:
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]


@dataclass
class ChatTarget:
    """A chat the bot talks to. Once a call learns that the group moved to a supergroup, this
    target's id is the new one, so the calls after it go there directly."""

    bot: Bot
    chat_id: int
    follow: Follow | None = None
    thread_id: int | None = None  # a forum topic of the chat, where its messages go

    async def call(self, request: Callable[[int], Awaitable[T]], *, again: bool = True) -> T:
        """`request(chat_id)`, following the group if it became a supergroup.

        The request is made again at the new id, except with `again=False`: a request about a
        message of the old group (a pin, an edit) cannot be, because message ids do not carry
        over to the supergroup; it fails as BadRequest once the move is followed."""
        try:
            return await request(self.chat_id)
        except ChatMigrated as moved:
            old, self.chat_id = self.chat_id, moved.new_chat_id
            log.info("chat %s is now the supergroup %s", old, self.chat_id)
            if self.follow is not None:
                await self.follow(old, self.chat_id)
            if not again:
                raise BadRequest(
                    f"the message is in chat {old}, which is now the supergroup {self.chat_id}"
                ) from moved
        return await request(self.chat_id)

    async def post(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        """Send `text` (split if long; the buttons go on the last part); raises TelegramError."""
        last: Message | None = None
        parts = split_text(text)
        for index, part in enumerate(parts):
            reply_markup = markup if index == len(parts) - 1 else None
            last = await self.call(
                partial(
                    self.bot.send_message,
                    text=part,
                    reply_markup=reply_markup,
                    message_thread_id=self.thread_id,
                )
            )
        assert last is not None  # split_text never returns no part
        return last

    async def send(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
        """`post`, but None when the user blocked the bot or never started it."""
        try:
            return await self.post(text, markup)
        except Forbidden as exc:
            log.warning("delivery to chat %s failed: %s", self.chat_id, exc.message)
            return None


async def post(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    follow: Follow | None = None,
) -> Message:
    """Send `text` (split if long; the buttons go on the last part); raises TelegramError.
    Where `chat_id` may be a group, pass `follow` (see `ChatTarget`)."""
    return await ChatTarget(bot, chat_id, follow).post(text, markup)


async def send(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    follow: Follow | None = None,
) -> Message | None:
    """Send `text` (split if long; the buttons go on the last part). None when undeliverable.
    Where `chat_id` may be a group, pass `follow` (see `ChatTarget`)."""
    return await ChatTarget(bot, chat_id, follow).send(text, markup)


async def clear_buttons(
    bot: Bot, chat_id: int, message_id: int, *, follow: Follow | None = None
) -> None:
    """Remove the buttons of an answered question so it cannot be pressed again by mistake."""
    edit = partial(bot.edit_message_reply_markup, message_id=message_id, reply_markup=None)
    try:
        await ChatTarget(bot, chat_id, follow).call(edit, again=False)
    except BadRequest as exc:
        # Already without buttons, or too old to edit: the server-side checks still hold.
        log.info("could not clear buttons of message %s: %s", message_id, exc.message)
