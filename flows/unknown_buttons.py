"""The last word on a button press no flow took: "not available", never an endless spinner.

A press that no handler matches (data from an older version of the bot, or forged by a
modified client) would otherwise stay unanswered, and the client spins for 15 seconds. This
handler is registered last, after every flow, so it only sees what nobody else took.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows.callbacks import kind_of
from flows.services import get_services

log = logging.getLogger(__name__)


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    services = get_services(context)
    if update.effective_user is not None:
        _, tr = await services.reader(update.effective_user)
    else:
        tr = services.translator_for(None)
    # A kind of ours whose handler let it through would be a bug of ours: say which.
    kind = kind_of(query.data)
    named = f" (a {kind.__name__} button)" if kind is not None else ""
    log.info("a button press no flow knows%s: %r", named, (query.data or "")[:64])
    await query.answer(tr.t("callback.unavailable"), show_alert=True)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_unknown_button)]
