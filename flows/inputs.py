"""Typed answers that belong to a pending multi-step input (a proposal being built, a contest
statement, proof of fulfilment, a blind bid), routed before the claim form sees the message.

The pending input is a database row per user and chat, so a restart loses nothing. Each flow
that asks for one returns its handlers by kind (`pending_inputs()`, as it returns its other
handlers); `bot/app.py` hands them all to `router`, which runs in its own handler group and
stops further handling only when it consumed the message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, MessageHandler, filters

from flows.chat_migration import follower
from flows.errors_render import validation_message
from flows.logs import bind_case
from flows.messaging import send
from flows.rules.validation import ValidationError, parse_text
from flows.services import Services, first_pending, get_services
from locales.i18n import Translator
from storage import PendingInput, User
from storage.repos.users import Unread

log = logging.getLogger(__name__)

InputHandler = Callable[
    [Services, ContextTypes.DEFAULT_TYPE, Message, PendingInput, User, Translator], Awaitable[None]
]


def typed_text(message: Message, max_len: int) -> str:
    """The text a pending input asked for, checked: a file or sticker instead, an empty or
    too long text raise ValidationError (answered by the router, the question kept)."""
    if message.text is None:
        raise ValidationError("answer.expected_text")
    return parse_text(message.text, max_len=max_len)


async def route(
    kinds: Mapping[str, InputHandler], update: Update, context: ContextTypes.DEFAULT_TYPE
) -> None:
    services = get_services(context)
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    pending = first_pending(update.effective_user.id, message.chat_id)  # with the ledger check
    if isinstance(pending, Unread):
        pending = await services.db.inputs.get(update.effective_user.id, message.chat_id)
    if pending is None or pending.kind not in kinds:
        return
    bind_case(pending.case_id)
    user, tr = await services.reader(update.effective_user)
    try:
        await kinds[pending.kind](services, context, message, pending, user, tr)
    except ValidationError as error:
        text = validation_message(error, tr)
        await send(context.bot, message.chat_id, text, follow=follower(services))
    raise ApplicationHandlerStop


def router(*flows: Mapping[str, InputHandler]) -> list[BaseHandler[Any, Any, Any]]:
    """The handler that routes a typed answer to the flow waiting for it: `flows` are the
    flows' `pending_inputs()`; a kind claimed twice is a mistake caught at start-up."""
    kinds: dict[str, InputHandler] = {}
    for handlers in flows:
        taken = kinds.keys() & handlers.keys()
        if taken:
            raise ValueError(f"pending input kinds claimed twice: {', '.join(sorted(taken))}")
        kinds.update(handlers)
    return [MessageHandler(filters.UpdateType.MESSAGE & ~filters.COMMAND, partial(route, kinds))]
