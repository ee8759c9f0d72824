"""The private chat's front door: /start, /help and /language.

A `/start <token>` deep link is handed to the flow that owns the token (supplier invitations
come in a later flow); a plain /start welcomes the reader in their own language, and a buyer
with a claim in progress is taken back to where they stopped.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from flows import supplier_join
from flows.buttons import LanguageChoice
from flows.callbacks import decode, encode, pattern
from flows.claim_form import ask_current, resume_draft
from flows.common import keyboard
from flows.messaging import send
from flows.services import first_seen, get_services
from locales.i18n import LANGUAGES, N_

LANGUAGE_NAME_KEYS = {"en": N_("language.name.en"), "zh_Hans": N_("language.name.zh_Hans")}


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    if context.args:
        if await supplier_join.open_invitation(update, context, context.args[0]):
            return
        await send(context.bot, message.chat_id, tr.t("start.unknown_link"))
    await send(context.bot, message.chat_id, tr.t("start.welcome", name=user.first_name))
    if not first_seen(user.id):  # someone new has no draft to go back to: no read for it
        await resume_draft(services, context.bot, user.id, tr)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    _, tr = await services.reader(update.effective_user)
    await send(context.bot, message.chat_id, tr.t("help.text"))


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    _, tr = await services.reader(update.effective_user)
    rows = [[(tr.t(LANGUAGE_NAME_KEYS[code]), encode(LanguageChoice(code))) for code in LANGUAGES]]
    await send(context.bot, message.chat_id, tr.t("language.choose"), keyboard(rows))


async def on_language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, LanguageChoice)
    if data is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    await services.db.users.set_language(user.id, data.code, services.clock.now())
    tr = await services.translator_for_id(user.id)
    await query.answer()
    await send(context.bot, user.id, tr.t("language.set"))
    active = await services.db.cases.active_draft_for(user.id)
    if active is not None:
        case, draft = active
        await ask_current(services, context.bot, user.id, case, draft, tr)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    _, tr = await services.reader(update.effective_user)
    await send(context.bot, message.chat_id, tr.t("private.unknown"))


def fallback_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Registered last: a private command no flow knows gets a helpful answer."""
    return [MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, on_unknown_command)]


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", on_start, filters=private),
        CommandHandler("help", on_help, filters=private),
        CommandHandler("language", on_language, filters=private),
        CallbackQueryHandler(on_language_button, pattern=pattern(LanguageChoice)),
    ]
