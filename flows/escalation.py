"""Leaving negotiation: asking for a mediator, or the buyer withdrawing the claim.

The supplier may ask for a mediator at once; the buyer from day 4 after filing (the case rules
decide, with the reason given back). The case is then posted to the mediators' pool
(`flows/mediator_pool.py`); a service with no staff chat says plainly that no mediator will
come.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from flows import chat_links
from flows.audience import for_case, parties, to_chat
from flows.buttons import AskMediator, Confirm, Withdraw
from flows.callbacks import encode, pattern
from flows.case_context import PARTY_ROLES, case_button, resolve
from flows.chat_migration import follower
from flows.claim_render import case_number
from flows.common import Button, keyboard
from flows.mediator_pool import has_pool, post_owed
from flows.messaging import send
from flows.outbox import after_commit
from flows.proposal_render import role_name
from flows.rules.lifecycle import Action, DeadlineKind, IllegalTransition, Role, check_transition
from flows.services import Services, get_services
from locales.i18n import Translator
from storage import Case, ConcurrentUpdate

log = logging.getLogger(__name__)


async def on_mediator(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    caller = await resolve(services, update, context.args)
    if caller is None:
        return
    message = update.effective_message
    assert message is not None
    await request_mediation(
        services, context.bot, message.chat_id, caller.user.id, caller.tr, caller.case, caller.role
    )


async def on_mediator_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Ask for a mediator" button of /case: the same request as /mediator."""
    press = await case_button(update, context, AskMediator, PARTY_ROLES)
    if press is None:
        return
    await press.query.answer()
    await request_mediation(
        press.services, context.bot, press.user.id, press.user.id, press.tr, press.case, press.role
    )


def may_request_mediation(services: Services, case: Case, role: Role) -> bool:
    """Whether the case rules let `role` ask for a mediator now (what /case offers); never on a
    service with no mediators."""
    if not has_pool(services):
        return False
    try:
        check_transition(
            case.facts, Action.REQUEST_MEDIATION, role, services.clock.now(), services.lifecycle
        )
    except IllegalTransition:
        return False
    return True


def may_withdraw(services: Services, case: Case, role: Role) -> bool:
    """Whether the case rules let `role` withdraw the claim now (the buyer only)."""
    try:
        check_transition(
            case.facts, Action.WITHDRAW, role, services.clock.now(), services.lifecycle
        )
    except IllegalTransition:
        return False
    return True


def mediator_button(tr: Translator, case_id: int) -> Button:
    return tr.t("button.ask_mediator"), encode(AskMediator(case_id))


def withdraw_button(tr: Translator, case_id: int) -> Button:
    return tr.t("button.withdraw"), encode(Withdraw(case_id, Confirm.ASK))


async def request_mediation(
    services: Services,
    bot: Bot,
    chat_id: int,
    user_id: int,
    tr: Translator,
    case: Case,
    role: Role,
) -> None:
    """Move the case to mediation at `role`'s request, or tell them (in `chat_id`) why not."""
    now = services.clock.now()
    if not has_pool(services):
        # Nobody would come: the case stays where it is, and the asker is told what is left.
        text = tr.t("mediation.none_configured", number=case_number(case))
        await send(bot, chat_id, text, follow=follower(services))
        return
    try:
        check_transition(case.facts, Action.REQUEST_MEDIATION, role, now, services.lifecycle)
    except IllegalTransition as error:
        if error.reason == "too early for the buyer" and case.submitted_at is not None:
            opens = case.submitted_at + services.lifecycle.buyer_mediation_after
            if chat_id != user_id:
                # Asked in the dispute chat: when mediation opens concerns the other side too,
                # so it is said there in every participant's language, each in their zone.
                await to_chat(
                    services,
                    bot,
                    case,
                    chat_id,
                    lambda t: t.t("mediation.too_early", opens=t.datetime(opens)),
                )
                return
            text = tr.t("mediation.too_early", opens=tr.datetime(opens))
        else:
            text = tr.t("mediation.not_now", number=case_number(case))
        await send(bot, chat_id, text, follow=follower(services))
        return
    assignment = services.deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now)
    news = await for_case(
        services,
        case,
        lambda t: t.t(
            "mediation.requested",
            number=case_number(case),
            by=role_name(t, role),
            due=t.datetime(assignment.due_at),
        ),
        key=f"case:{case.id}:v{case.version + 1}:mediation",
        private_to=parties(case),
    )
    try:
        case = await services.db.cases.transition(
            case.id,
            Action.REQUEST_MEDIATION,
            user_id,
            role,
            now,
            reason=f"{role} asked for a mediator",
            new_deadline=assignment,
            expected_version=case.version,
            outbox=news,
        )
    except (IllegalTransition, ConcurrentUpdate):
        text = tr.t("mediation.not_now", number=case_number(case))
        await send(bot, chat_id, text, follow=follower(services))
        return
    log.info("mediation requested by the %s", role)
    await after_commit(services, bot)
    await post_owed(services, bot)


async def on_withdraw(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    caller = await resolve(services, update, context.args)
    if caller is None:
        return
    tr, case = caller.tr, caller.case
    if caller.role is not Role.BUYER:
        await send(context.bot, caller.user.id, tr.t("withdraw.buyer_only"))
        return
    await _confirm_withdrawal(context.bot, caller.user.id, tr, case)


async def _confirm_withdrawal(bot: Bot, user_id: int, tr: Translator, case: Case) -> None:
    """Withdrawing closes the case for good, so it is always confirmed first."""
    rows = [
        [
            (tr.t("button.withdraw_yes"), encode(Withdraw(case.id, Confirm.YES))),
            (tr.t("button.keep_case"), encode(Withdraw(case.id, Confirm.NO))),
        ]
    ]
    await send(bot, user_id, tr.t("withdraw.confirm", number=case_number(case)), keyboard(rows))


async def on_withdraw_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, Withdraw, frozenset({Role.BUYER}))
    if press is None:
        return
    services, query, user, tr = press.services, press.query, press.user, press.tr
    case, step = press.case, press.data.step
    if step is Confirm.ASK:  # from /case: ask first, as /withdraw does
        await query.answer()
        await _confirm_withdrawal(context.bot, user.id, tr, case)
        return
    if step is not Confirm.YES:
        await query.answer(tr.t("withdraw.kept"))
        return
    news = await for_case(
        services,
        case,
        lambda t: t.t("withdraw.done", number=case_number(case)),
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
        CallbackQueryHandler(on_withdraw_button, pattern=pattern(Withdraw)),
        CallbackQueryHandler(on_mediator_button, pattern=pattern(AskMediator)),
    ]
