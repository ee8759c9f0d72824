"""A party's view of their cases: /cases lists them, /case <number> shows one.

Only cases the reader is a party to are shown; asking for any other number gets the same
answer as asking for one that does not exist, so nothing is revealed. The /case answer carries
what the reader may need to get back in: a new link into the dispute chat (or, for the buyer
of a case without one, the link that makes it), the supplier's invitation while the case waits
for one, and for the buyer the way to replace a wrong supplier who has not answered yet.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot.i18n import N_, Translator
from bot.logs import bind_case
from bot.services import Services, get_services
from flows import chat_links, dispute_chat, supplier_join, supplier_replace
from flows.case_context import OPEN_STATES
from flows.claim_render import case_number, render_summary
from flows.common import Button, is_number, keyboard, parse_id, shown_number
from flows.messaging import send
from flows.rules.lifecycle import CaseState, ClosingReason, DeadlineKind
from storage import Case, ChatStatus

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
# A closed case says why it closed (PRODUCT.md: fulfilled, withdrawn, dismissed or expired);
# cases closed before the reason was recorded show plain "Closed".
CLOSED_KEYS = {
    ClosingReason.FULFILLED: N_("closed.fulfilled"),
    ClosingReason.UNFULFILLED: N_("closed.unfulfilled"),
    ClosingReason.WITHDRAWN: N_("closed.withdrawn"),
    ClosingReason.DISMISSED: N_("closed.dismissed"),
    ClosingReason.EXPIRED: N_("closed.expired"),
    ClosingReason.ABANDONED: N_("closed.abandoned"),
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
    title = case.claim.get("product") or tr.t("cases.untitled")
    state_key = STATE_KEYS[case.state]
    if case.state is CaseState.CLOSED and case.closed_reason is not None:
        state_key = CLOSED_KEYS[case.closed_reason]
    state = tr.t(state_key)
    deadline = await services.db.deadlines.next_for_case(case.id)
    if deadline is None:
        return tr.t("cases.line", number=case_number(case.id), state=state, title=title)
    return tr.t(
        "cases.line_due",
        number=case_number(case.id),
        state=state,
        title=title,
        what=tr.t(DEADLINE_KEYS[deadline.kind]),
        due=tr.datetime(deadline.due_at),
    )


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
    case_id = parse_id(raw)  # None: too big to be any case's number
    case = await services.db.cases.get(case_id) if case_id is not None else None
    if case is None or not is_party(case, user.id):
        await send(context.bot, message.chat_id, tr.t("case.not_found", number=shown_number(raw)))
        return
    bind_case(case.id)
    header = await _case_line(services, case, tr)
    if not case.claim:
        await send(context.bot, message.chat_id, header + "\n\n" + tr.t("case.draft_hint"))
        return
    evidence = await services.db.evidence.list(case.id, include_mediator_only=False)
    body = render_summary(case.claim, evidence, tr)
    rows = await _ways_in(services, context.bot, case, user.id, tr)
    await send(context.bot, message.chat_id, header + "\n\n" + body, keyboard(rows))


async def _ways_in(
    services: Services, bot: Bot, case: Case, user_id: int, tr: Translator
) -> list[list[Button]]:
    """The buttons that get the reader (back) into the case, one per row."""
    if case.state not in OPEN_STATES:
        return []
    rows: list[list[Button]] = []
    chat = await services.db.chats.for_case(case.id)
    if chat is not None and chat.status == ChatStatus.BOUND:
        rows.append([chat_links.link_button(tr, case.id)])
    elif user_id == case.buyer_id:
        rows.append(
            [(tr.t("button.create_chat"), await dispute_chat.group_link(services, bot, case))]
        )
    if user_id == case.buyer_id and case.state is CaseState.AWAITING_SUPPLIER:
        if case.supplier_id is None:
            rows.append([supplier_join.invite_button(tr, case.id)])
        else:
            rows.append([supplier_replace.replace_button(tr, case.id, case.supplier_id)])
    return rows


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("cases", on_cases, filters=private),
        CommandHandler("case", on_case, filters=private),
    ]
