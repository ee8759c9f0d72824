"""Leaving negotiation: asking for a mediator, or the buyer withdrawing the claim.

The supplier may ask for a mediator at once; the buyer from day 4 after filing (the case rules
decide, with the reason given back). Mediators come in a later flow: until then a case in
mediation waits, and the parties are told so plainly.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.outbox import after_commit
from bot.services import get_services
from flows import chat_links
from flows.audience import for_case, parties
from flows.case_context import case_button, resolve
from flows.chat_migration import follower
from flows.claim_render import case_number
from flows.common import keyboard, pack
from flows.messaging import send
from flows.proposal_render import role_name
from flows.rules.lifecycle import Action, DeadlineKind, IllegalTransition, Role, check_transition
from storage import ConcurrentUpdate

log = logging.getLogger(__name__)

WITHDRAW = "wd"  # wd:<case id>:y|n


async def on_mediator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    caller = await resolve(services, update, context.args)
    if caller is None:
        return
    message = update.effective_message
    assert message is not None
    tr, case, role = caller.tr, caller.case, caller.role
    now = services.clock.now()
    try:
        check_transition(case.facts, Action.REQUEST_MEDIATION, role, now, services.lifecycle)
    except IllegalTransition as error:
        if error.reason == "too early for the buyer" and case.submitted_at is not None:
            opens = case.submitted_at + services.lifecycle.buyer_mediation_after
            text = tr.t("mediation.too_early", opens=tr.datetime(opens))
        else:
            text = tr.t("mediation.not_now", number=case_number(case.id))
        await send(context.bot, message.chat_id, text, follow=follower(services))
        return
    news = await for_case(
        services,
        case,
        lambda t: t.t("mediation.requested", number=case_number(case.id), by=role_name(t, role)),
        key=f"case:{case.id}:v{case.version + 1}:mediation",
        private_to=parties(case),
    )
    try:
        case = await services.db.cases.transition(
            case.id,
            Action.REQUEST_MEDIATION,
            caller.user.id,
            role,
            now,
            reason=f"{role} asked for a mediator",
            new_deadline=services.deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now),
            expected_version=case.version,
            outbox=news,
        )
    except (IllegalTransition, ConcurrentUpdate):
        text = tr.t("mediation.not_now", number=case_number(case.id))
        await send(context.bot, message.chat_id, text, follow=follower(services))
        return
    log.info("mediation requested by the %s", role)
    await after_commit(services, context.bot)


async def on_withdraw(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    caller = await resolve(services, update, context.args)
    if caller is None:
        return
    tr, case = caller.tr, caller.case
    if caller.role is not Role.BUYER:
        await send(context.bot, caller.user.id, tr.t("withdraw.buyer_only"))
        return
    rows = [
        [
            (tr.t("button.withdraw_yes"), pack(WITHDRAW, case.id, "y")),
            (tr.t("button.keep_case"), pack(WITHDRAW, case.id, "n")),
        ]
    ]
    await send(
        context.bot,
        caller.user.id,
        tr.t("withdraw.confirm", number=case_number(case.id)),
        keyboard(rows),
    )


async def on_withdraw_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, frozenset({Role.BUYER}), 3)
    if press is None:
        return
    services, query, user, tr = press.services, press.query, press.user, press.tr
    case, args = press.case, press.args
    if args[0] != "y":
        await query.answer(tr.t("withdraw.kept"))
        return
    news = await for_case(
        services,
        case,
        lambda t: t.t("withdraw.done", number=case_number(case.id)),
        key=f"case:{case.id}:v{case.version + 1}:withdrawn",
        private_to=parties(case),
    )
    try:
        case = await services.db.cases.transition(
            case.id,
            Action.WITHDRAW,
            user.id,
            Role.BUYER,
            services.clock.now(),
            reason="buyer withdrew the claim",
            closing_status="cancelled",
            outbox=news,
        )
    except (IllegalTransition, ConcurrentUpdate):
        await query.answer(tr.t("withdraw.not_possible"), show_alert=True)
        return
    await query.answer()
    log.info("claim withdrawn")
    await chat_links.revoke_case_links(services, context.bot, case)  # nobody joins a closed case
    await after_commit(services, context.bot)  # the news says it is closed: it is, links and all


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("mediator", on_mediator),
        CommandHandler("withdraw", on_withdraw),
        CallbackQueryHandler(on_withdraw_button, pattern=rf"^{WITHDRAW}:"),
    ]
