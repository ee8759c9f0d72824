"""Sending to a reader: long texts split at Telegram's 4096-character limit, failures recorded.

`post` raises every Telegram error. `send`, for replies to the person who acted, turns a
refusal because the user blocked the bot or never started it into a logged `None`, never
silently lost: the caller decides on another route; any other error goes up to the error
handler, which apologises. Announcements to several readers go through `flows.audience`, which
delivers to each one on its own.
"""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096


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


async def post(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Send `text` (split if long; the buttons go on the last part); raises TelegramError."""
    parts = split_text(text)
    last: Message | None = None
    for index, part in enumerate(parts):
        reply_markup = markup if index == len(parts) - 1 else None
        last = await bot.send_message(chat_id, part, reply_markup=reply_markup)
    assert last is not None  # split_text never returns no part
    return last


async def send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """`post`, but None when the user blocked the bot or never started it."""
    try:
        return await post(bot, chat_id, text, markup)
    except Forbidden as exc:
        log.warning("delivery to chat %s failed: %s", chat_id, exc.message)
        return None


async def clear_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Remove the buttons of an answered question so it cannot be pressed again by mistake."""
    try:
        await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest as exc:
        # Already without buttons, or too old to edit: the server-side checks still hold.
        log.info("could not clear buttons of message %s: %s", message_id, exc.message)
