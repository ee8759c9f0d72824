"""Sending an evidence file to a reader: by its Telegram file_id, else from the evidence store.

A file_id is the cheap way (Telegram already has the file), but it is Telegram's, not ours: it
can be refused ("wrong file identifier", a file Telegram no longer has, another bot token after
a move). The stored copy is the record: any worker can read it from the shared store, check it
against the SHA-256 in the case history and upload it again.
"""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest

from flows.services import Services
from storage.records import Evidence

__all__ = ["send_evidence_file"]

log = logging.getLogger(__name__)


async def send_evidence_file(
    services: Services,
    bot: Bot,
    chat_id: int,
    item: Evidence,
    caption: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send a file item with its caption; TelegramError if neither way gets it there."""
    if item.telegram_file_id is not None:
        try:
            return await _send(bot, chat_id, item, item.telegram_file_id, caption, markup)
        except BadRequest as exc:
            if item.store_key is None or item.sha256 is None:
                raise
            log.info(
                "E%s of case %s: file_id refused (%s); sending the stored copy",
                item.number,
                item.case_id,
                exc.message,
            )
    if item.store_key is None or item.sha256 is None:
        raise ValueError(f"E{item.number} of case {item.case_id} has no file to send")
    data = await services.files.load(item.store_key, item.sha256)
    if data is None:
        raise LookupError(
            f"E{item.number} of case {item.case_id}: the store has no file {item.store_key}"
            " matching its SHA-256"
        )
    name = item.file_name or f"E{item.number}"
    return await _send(bot, chat_id, item, InputFile(data, filename=name), caption, markup)


async def _send(
    bot: Bot,
    chat_id: int,
    item: Evidence,
    file: str | InputFile,
    caption: str,
    markup: InlineKeyboardMarkup | None,
) -> Message:
    if item.kind == "photo":
        return await bot.send_photo(chat_id, file, caption=caption, reply_markup=markup)
    return await bot.send_document(chat_id, file, caption=caption, reply_markup=markup)
