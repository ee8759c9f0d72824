"""Hand back from the mediator's panel: the button asks for the reason, the typed reason
returns the case to the pool (`flows.mediator_pool.hand_back`, as /handback does)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import inputs
from flows.callbacks import HandBack, pattern
from flows.claim_render import case_number
from flows.mediator_panel import mediator_press
from flows.mediator_pool import hand_back, post_owed
from flows.messaging import send
from flows.outbox import after_commit
from flows.rules.lifecycle import CaseState
from flows.services import Services
from locales.i18n import Translator
from storage import PendingInput, User

HAND_BACK_INPUT = "mediator.hand_back"
REASON_LIMIT = 500


async def on_hand_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Hand back: the reason is asked next (it goes to the pool with the case)."""
    pressed = await mediator_press(update, context, HandBack, {CaseState.MEDIATION})
    if pressed is None:
        return
    press, _data = pressed
    assert press.query.message is not None
    await press.query.answer()
    chat_id = press.query.message.chat.id
    now = press.services.clock.now()
    await press.services.db.inputs.put(
        press.user.id, chat_id, HAND_BACK_INPUT, press.case.id, "reason", {}, now
    )
    await send(
        context.bot, chat_id, press.tr.t("mediator.hand_back_ask", number=case_number(press.case))
    )


async def on_hand_back_reason(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Any,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    reason = inputs.typed_text(message, REASON_LIMIT)
    await services.db.inputs.clear(user.id, message.chat_id)
    case = await services.db.cases.get(pending.case_id)
    moved = None
    if case is not None and case.mediator_id == user.id:
        moved = await hand_back(services, context.bot, case, user.id, user.first_name, reason)
    if moved is None:
        number = case_number(case) if case is not None else "?"
        await send(context.bot, message.chat_id, tr.t("pool.not_your_case", number=number))
        return
    await send(context.bot, message.chat_id, tr.t("pool.handed_back", number=case_number(moved)))
    await after_commit(services, context.bot)
    await post_owed(services, context.bot)


def pending_inputs() -> dict[str, inputs.InputHandler]:
    return {HAND_BACK_INPUT: on_hand_back_reason}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_hand_back, pattern=pattern(HandBack))]
