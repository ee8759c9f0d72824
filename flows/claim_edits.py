"""Edits (Telegram's edited_message) in the private chat while a claim is being filled in.

An edit of the message that answered the question just before the current one replaces that
answer (checked like a new answer), and the buyer is told what is saved now. An edit of any
older message changes nothing, and the buyer is told so and how to change an answer (Back, or
Change on the summary): the form must never look changed when it is not.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, MessageHandler, filters

from flows import claim_moves
from flows.claim_form import ask_current, form_context
from flows.claim_render import saved_answer
from flows.claim_steps import Step, parse_answer
from flows.errors_render import validation_message
from flows.logs import bind_case
from flows.messaging import send
from flows.rules.validation import ValidationError
from flows.services import get_services

log = logging.getLogger(__name__)


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.edited_message
    if message is None or update.effective_user is None:
        return
    user, tr = await services.reader(update.effective_user)
    active = await services.db.cases.active_draft_for(user.id)
    if active is None:
        await send(context.bot, message.chat_id, tr.t("claim.edit.no_form"))
        return
    case, draft = active
    bind_case(case.id)
    last = draft.answers.get("_last_answer") or {}
    if last.get("message_id") != message.message_id or message.text is None:
        log.info("edit of an earlier message %s: acknowledged, nothing changed", message.message_id)
        await send(context.bot, message.chat_id, tr.t("claim.edit.older"))
        return
    step = Step(last["step"])
    try:
        updates = parse_answer(step, message.text, form_context(services, draft, tr))
    except ValidationError as error:
        kept = saved_answer(step, draft.answers, tr) or ""
        await send(context.bot, message.chat_id, validation_message(error, tr))
        await send(context.bot, message.chat_id, tr.t("claim.edit.refused", answer=kept))
        return
    draft = await claim_moves.replace_answer(services, draft, updates)
    log.info("edited answer replaces the saved answer to %s", step)
    answer = saved_answer(step, draft.answers, tr) or ""
    await send(context.bot, message.chat_id, tr.t("claim.edit.replaced", answer=answer))
    await ask_current(services, context.bot, message.chat_id, case, draft, tr)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The edit of an answer in the private chat (registered right after the claim form)."""
    private = filters.ChatType.PRIVATE
    return [
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & private & ~filters.COMMAND, on_edit),
    ]
