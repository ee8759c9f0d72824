"""The one error handler: log with the update and case ids, tell the user something useful."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.services import SERVICES_KEY, Services
from flows.chat_migration import follower
from flows.messaging import send

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("unhandled error", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    services = context.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        return
    tr = await services.translator_for_id(update.effective_user.id)
    if update.callback_query is not None:
        await update.callback_query.answer(tr.t("error.generic"), show_alert=True)
        return
    if update.effective_chat is not None:
        text = tr.t("error.generic")
        await send(context.bot, update.effective_chat.id, text, follow=follower(services))
