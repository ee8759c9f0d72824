"""After a case closed, each party rates the process once: 1-5 buttons, then an optional comment.

The question is asked by a pass of the sweep (`ask_ratings`, called from flows/sweep.py):
whichever step closed the case (a confirmation, a withdrawal, a deadline), the next sweep finds
the parties not asked yet and queues each one's question, in their language, privately, in the
same transaction that records they were asked (storage/repos/ratings.py), so it goes out once.
The first press counts; a second press, a re-delivered update or another device changes
nothing and is told so. The comment is typed (a pending input) or skipped with a button.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import inputs
from flows.callbacks import RATING_MAX, RateProcess, RatingSkipComment, decode, encode, pattern
from flows.chat_migration import follower
from flows.claim_render import case_number
from flows.common import Button, keyboard
from flows.logs import bind_case
from flows.messaging import send
from flows.services import Services, get_services
from locales.i18n import Translator
from storage import OutboxMessage, PendingInput, User
from storage.repos.ratings import RatingResult

log = logging.getLogger(__name__)

KIND = "rating_comment"  # the pending input: the comment after the score
MAX_COMMENT = 1000


def rating_rows(tr: Translator, case_id: int) -> list[list[Button]]:
    """The 1-5 buttons, one row."""
    return [
        [
            (tr.t("button.rating", score=score), encode(RateProcess(case_id, score)))
            for score in range(1, RATING_MAX + 1)
        ]
    ]


async def ask_ratings(services: Services) -> int:
    """Queue the rating question for every party of a recently closed case not asked yet;
    how many were asked. The sweep delivers the outbox right after."""
    now = services.clock.now()
    asked = 0
    for party in await services.db.ratings.unasked(now):
        case = await services.db.cases.get(party.case_id)
        if case is None:
            continue
        tr = await services.translator_for_id(party.user_id)
        question = OutboxMessage(
            party.user_id,
            tr.t("rating.ask", number=case_number(case)),
            f"case:{case.id}:rating:{party.party_role}",
            case.id,
            rating_rows(tr, case.id),
        )
        if await services.db.ratings.ask(case.id, party.party_role, party.user_id, now, [question]):
            asked += 1
    return asked


async def on_rate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    services = get_services(context)
    _user, tr = await services.reader(update.effective_user)
    press = decode(query.data, RateProcess)
    if press is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(press.case_id)
    user_id = update.effective_user.id
    result, _role = await services.db.ratings.rate(
        press.case_id, user_id, press.score, services.clock.now()
    )
    if result is RatingResult.UNKNOWN:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    if result is RatingResult.ALREADY:
        await query.answer(tr.t("rating.already"), show_alert=True)
        return
    log.info("rating %s recorded", press.score)
    await query.answer()
    message = query.message
    chat_id = message.chat.id if message is not None else user_id
    await services.db.inputs.put(
        user_id, chat_id, KIND, press.case_id, "comment", {}, services.clock.now()
    )
    skip = [[(tr.t("button.rating_skip"), encode(RatingSkipComment(press.case_id)))]]
    text = tr.t("rating.thanks_ask_comment", score=press.score)
    await send(context.bot, chat_id, text, keyboard(skip), follow=follower(services))


async def on_skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or update.effective_user is None:
        return
    services = get_services(context)
    _user, tr = await services.reader(update.effective_user)
    press = decode(query.data, RatingSkipComment)
    if press is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(press.case_id)
    user_id = update.effective_user.id
    result = await services.db.ratings.comment(press.case_id, user_id, None)
    if result is RatingResult.UNKNOWN:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    message = query.message
    chat_id = message.chat.id if message is not None else user_id
    pending = await services.db.inputs.get(user_id, chat_id)
    if pending is not None and pending.kind == KIND and pending.case_id == press.case_id:
        await services.db.inputs.clear(user_id, chat_id)
    await query.answer()
    if result is RatingResult.RECORDED:
        await send(context.bot, chat_id, tr.t("rating.done"), follow=follower(services))


async def on_comment(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The typed comment, kept with the party's rating."""
    comment = inputs.typed_text(message, MAX_COMMENT)
    await services.db.inputs.clear(user.id, message.chat_id)
    await services.db.ratings.comment(pending.case_id, user.id, comment)
    await send(context.bot, message.chat_id, tr.t("rating.done"), follow=follower(services))


def pending_inputs() -> dict[str, inputs.InputHandler]:
    return {KIND: on_comment}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_rate, pattern=pattern(RateProcess)),
        CallbackQueryHandler(on_skip, pattern=pattern(RatingSkipComment)),
    ]
