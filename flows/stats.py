"""Operator statistics: /stats for the mediators in their staff chat (text and chart, said by
flows/stats_render.py, which `disputebot stats` prints too).

The figures come from storage in aggregate queries (storage/repos/stats.py); here they are
said in the reader's language. /stats answers only in the staff chat (MEDIATOR_CHAT_ID) and
only to a mediator (`is_mediator`): anyone else, or anywhere else, is refused, and nothing is
computed for them. The chart is drawn off the event loop.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from flows.mediator_pool import is_mediator
from flows.services import Services, get_services
from flows.stats_render import chart, render_text

log = logging.getLogger(__name__)


async def may_see_stats(services: Services, bot: Any, chat_id: int, user_id: int) -> bool:
    """Only in the staff chat, only a mediator."""
    staff = services.settings.mediator_chat_id
    return staff is not None and chat_id == staff and await is_mediator(services, bot, user_id)


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    _user, tr = await services.reader(update.effective_user)
    thread = message.message_thread_id if message.is_topic_message else None
    if not await may_see_stats(services, context.bot, message.chat_id, update.effective_user.id):
        await context.bot.send_message(
            message.chat_id, tr.t("stats.refused"), message_thread_id=thread
        )
        return
    figures = await services.db.stats.figures()
    await context.bot.send_message(
        message.chat_id, render_text(tr, figures), message_thread_id=thread
    )
    png = await chart(tr, figures)
    await context.bot.send_photo(
        message.chat_id, png, caption=tr.t("stats.chart.caption"), message_thread_id=thread
    )


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CommandHandler("stats", on_stats)]
