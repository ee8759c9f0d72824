"""Typed answers that belong to a pending multi-step input (a proposal being built, a contest
statement, proof of fulfilment, a blind bid), routed before the claim form sees the message.

The pending input is a database row per user and chat, so a restart loses nothing. Flows
register a handler per input kind; the router runs in its own handler group and stops further
handling only when it consumed the message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, MessageHandler, filters

from flows.chat_migration import follower
from flows.errors_render import validation_message
from flows.logs import bind_case
from flows.messaging import send
from flows.rules.validation import ValidationError, parse_text
from flows.services import Services, get_services
from locales.i18n import Translator
from storage import PendingInput, User

log = logging.getLogger(__name__)

InputHandler = Callable[
    [Services, ContextTypes.DEFAULT_TYPE, Message, PendingInput, User, Translator], Awaitable[None]
]
_HANDLERS: dict[str, InputHandler] = {}


def typed_text(message: Message, max_len: int) -> str:
    """The text a pending input asked for, checked: a file or sticker instead, an empty or
    too long text raise ValidationError (answered by the router, the question kept)."""
    if message.text is None:
        raise ValidationError("answer.expected_text")
    return parse_text(message.text, max_len=max_len)


def register(kind: str, handler: InputHandler) -> None:
    _HANDLERS[kind] = handler


async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    pending = await services.db.inputs.get(update.effective_user.id, message.chat_id)
    if pending is None or pending.kind not in _HANDLERS:
        return
    bind_case(pending.case_id)
    user, tr = await services.reader(update.effective_user)
    try:
        await _HANDLERS[pending.kind](services, context, message, pending, user, tr)
    except ValidationError as error:
        text = validation_message(error, tr)
        await send(context.bot, message.chat_id, text, follow=follower(services))
    raise ApplicationHandlerStop


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, route)]
