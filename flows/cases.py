"""A party's view of their cases: /cases lists them, /case <number> shows one.

Only cases the reader is a party to are shown; asking for any other number gets the same
answer as asking for one that does not exist, so nothing is revealed. The /case answer carries
every action open to the reader now, as buttons (flows/case_actions.py), so that no step of a
case depends on one message having arrived.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from flows import case_actions
from flows.buttons import MyActions
from flows.callbacks import pattern
from flows.case_context import PARTY_ROLES, by_number, case_button
from flows.claim_render import CLOSED_KEYS, case_number, render_summary
from flows.common import is_number, keyboard, shown_number
from flows.logs import bind_case
from flows.mediator_card import render_card
from flows.mediator_panel import send_panel
from flows.messaging import send
from flows.rules.lifecycle import CaseState, DeadlineKind
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case

STATE_KEYS = {
    CaseState.DRAFT: N_("state.draft"),
    CaseState.AWAITING_SUPPLIER: N_("state.awaiting_supplier"),
    CaseState.NEGOTIATION: N_("state.negotiation"),
    CaseState.MEDIATION: N_("state.mediation"),
    CaseState.ARBITRATION: N_("state.arbitration"),
    CaseState.SETTLED: N_("state.settled"),
    CaseState.DECIDED: N_("state.decided"),
    CaseState.CLOSED: N_("state.closed"),
}
DEADLINE_KEYS = {
    DeadlineKind.DRAFT_EXPIRY: N_("deadline.draft_expiry"),
    DeadlineKind.SUPPLIER_INVITATION: N_("deadline.supplier_invitation"),
    DeadlineKind.SUPPLIER_RESPONSE: N_("deadline.supplier_response"),
    DeadlineKind.NEGOTIATION: N_("deadline.negotiation"),
    DeadlineKind.MEDIATOR_ASSIGNMENT: N_("deadline.mediator_assignment"),
    DeadlineKind.MEDIATION: N_("deadline.mediation"),
    DeadlineKind.ARBITRATION_STATEMENTS: N_("deadline.arbitration_statements"),
    DeadlineKind.ARBITRATION_DECISION: N_("deadline.arbitration_decision"),
    DeadlineKind.FULFILMENT: N_("deadline.fulfilment"),
    DeadlineKind.RECONSIDERATION: N_("deadline.reconsideration"),
}


def is_party(case: Case, user_id: int) -> bool:
    return user_id in (case.buyer_id, case.supplier_id)


async def _case_line(services: Services, case: Case, tr: Translator) -> str:
    title = case.claim.product if case.claim is not None else tr.t("cases.untitled")
    state_key = STATE_KEYS[case.state]
    if case.state is CaseState.CLOSED and case.closed_reason is not None:
        state_key = CLOSED_KEYS[case.closed_reason]
    state = tr.t(state_key)
    deadline = await services.db.deadlines.next_for_case(case.id)
    if case.number is None:  # a draft: never filed, so it has no case number (nor a title)
        if deadline is None:
            return tr.t("cases.draft")
        what, due = tr.t(DEADLINE_KEYS[deadline.kind]), tr.datetime(deadline.due_at)
        return tr.t("cases.draft_due", what=what, due=due)
    if deadline is None:
        return tr.t("cases.line", number=case_number(case), state=state, title=title)
    return tr.t(
        "cases.line_due",
        number=case_number(case),
        state=state,
        title=title,
        what=tr.t(DEADLINE_KEYS[deadline.kind]),
        due=tr.datetime(deadline.due_at),
    )


case_line = _case_line  # also the group's /cases and /help (flows/group_help.py)


async def on_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    cases = await services.db.cases.list_for_user(user.id)
    if not cases:
        await send(context.bot, message.chat_id, tr.t("cases.none"))
        return
    lines = [tr.t("cases.header")]
    lines.extend([await _case_line(services, case, tr) for case in cases])
    await send(context.bot, message.chat_id, "\n\n".join(lines))


async def on_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    args = context.args or []
    raw = args[0] if args else ""
    if not is_number(raw):
        await send(context.bot, message.chat_id, tr.t("case.usage"))
        return
    case = await by_number(services, raw)  # the filed number people see; drafts have none
    if case is not None and case.mediator_id == user.id and not is_party(case, user.id):
        # The case's own mediator: the context card as it stands now, then their panel.
        bind_case(case.id)
        card = await render_card(services, case, tr)
        await send(context.bot, message.chat_id, card)
        await send_panel(services, context.bot, case, user.id)
        return
    if case is None or not is_party(case, user.id):
        await send(context.bot, message.chat_id, tr.t("case.not_found", number=shown_number(raw)))
        return
    bind_case(case.id)
    await _send_card(services, context.bot, case, user.id, tr)


async def on_actions_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The button of the pinned claim in the dispute chat: the presser's /case, privately."""
    press = await case_button(update, context, MyActions, PARTY_ROLES)
    if press is None:
        return
    sent = await _send_card(press.services, context.bot, press.case, press.user.id, press.tr)
    if sent is None:  # never started the bot, or blocked it: no private chat to write to
        await press.query.answer(press.tr.t("case.card_not_sent"), show_alert=True)
        return
    await press.query.answer(press.tr.t("case.card_sent"))


async def _send_card(
    services: Services, bot: Bot, case: Case, user_id: int, tr: Translator
) -> Message | None:
    """The case as `user_id` (a party) sees it, with every action open to them now."""
    header = await _case_line(services, case, tr)
    if case.claim is None:
        return await send(bot, user_id, header + "\n\n" + tr.t("case.draft_hint"))
    role = await services.db.cases.role_of(case.id, user_id)
    assert role is not None  # only parties get here
    evidence = await services.db.evidence.list(case.id)
    parts = [header, render_summary(case.claim, evidence, tr, role)]
    found = await case_actions.actions_for(services, bot, case, user_id, role, tr)
    parts.extend(found.notes)
    if found.rows:
        parts.append(tr.t("case.actions_header"))
    return await send(bot, user_id, "\n\n".join(parts), keyboard(found.rows))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("cases", on_cases, filters=private),
        CommandHandler("case", on_case, filters=private),
        CallbackQueryHandler(on_actions_button, pattern=pattern(MyActions)),
    ]
