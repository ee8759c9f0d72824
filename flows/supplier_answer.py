"""The supplier's answer to the claim: accept the buyer's request, counter-propose, or contest.

Answering stops the supplier-response deadline: accepting settles the case at once (the claim's
requested outcome is the accepted proposal); a counter-proposal or a contest opens negotiation.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.i18n import Translator
from bot.logs import bind_case
from bot.services import Services
from flows import inputs, proposal_builder
from flows.audience import to_case
from flows.case_context import case_button
from flows.claim_render import case_number, outcome_text
from flows.common import Button, keyboard, pack
from flows.messaging import send
from flows.proposals import settle_with
from flows.rules import validation as v
from flows.rules.lifecycle import Action, CaseState, ClosingReason, DeadlineKind, Role
from flows.rules.proposals import (
    FullRefund,
    Other,
    PartialRefund,
    Proposal,
    Replacement,
    ReturnAndRefund,
    Term,
)
from flows.rules.validation import DesiredOutcome
from storage import Case, PendingInput, User

log = logging.getLogger(__name__)

ANSWER = "sa"  # sa:<case id>:a (accept) | c (counter) | x (contest)
CONTEST = "contest"
REPLACEMENT_DAYS = 14  # a replacement the supplier accepts is due to ship within this


def requested_proposal(case: Case, today: Any) -> Proposal:
    """The buyer's requested outcome as a proposal the supplier can accept."""
    claim = case.claim
    outcome = DesiredOutcome(claim["outcome"])
    term: Term
    if outcome is DesiredOutcome.FULL_REFUND:
        term = FullRefund()
    elif outcome is DesiredOutcome.PARTIAL_REFUND:
        if claim.get("outcome_percent"):
            term = PartialRefund(percent=Decimal(str(claim["outcome_percent"])))
        else:
            term = PartialRefund(amount=Decimal(str(claim["outcome_amount"])))
    elif outcome is DesiredOutcome.RETURN_AND_REFUND:
        term = ReturnAndRefund("supplier")
    elif outcome is DesiredOutcome.REPLACEMENT:
        term = Replacement(int(claim["quantity"]), today + timedelta(days=REPLACEMENT_DAYS))
    elif outcome is DesiredOutcome.DISCOUNT:
        term = Other(str(claim.get("outcome_text") or DesiredOutcome.DISCOUNT.value))
    else:
        term = Other(str(claim.get("outcome_text", "")))
    return Proposal((term,))


def answer_rows(tr: Translator, case_id: int) -> list[list[Button]]:
    """The supplier's three answers to the claim (also offered again by /case)."""
    return [
        [(tr.t("button.accept_request"), pack(ANSWER, case_id, "a"))],
        [(tr.t("button.counter"), pack(ANSWER, case_id, "c"))],
        [(tr.t("button.contest"), pack(ANSWER, case_id, "x"))],
    ]


async def ask(services: Services, bot: Bot, case: Case, tr: Translator) -> None:
    assert case.supplier_id is not None
    deadline = await services.db.deadlines.next_for_case(case.id)
    rows = answer_rows(tr, case.id)
    text = tr.t(
        "supplier.answer_question",
        outcome=outcome_text(case.claim, tr),
        due=tr.datetime(deadline.due_at) if deadline is not None else "—",
    )
    await send(bot, case.supplier_id, text, keyboard(rows))


def moved_on(tr: Translator, case: Case) -> str:
    """Why the claim can no longer be answered: it was answered, or the case closed (and a
    withdrawn claim says so: "already answered" would not be true)."""
    if case.state is not CaseState.CLOSED:
        return tr.t("supplier.already_answered")
    if case.closed_reason is ClosingReason.WITHDRAWN:
        return tr.t("supplier.answer_withdrawn", number=case_number(case.id))
    return tr.t("supplier.answer_closed", number=case_number(case.id))


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(
        update, context, frozenset({Role.SUPPLIER}), 3, actions=("a", "c", "x")
    )
    if press is None:
        return
    services, query, user, tr = press.services, press.query, press.user, press.tr
    case, role, args = press.case, press.role, press.args
    bind_case(case.id)
    if case.state is not CaseState.AWAITING_SUPPLIER:
        await query.answer(moved_on(tr, case), show_alert=True)
        return
    if args[0] == "a":
        today = services.clock.now().astimezone(tr.tz).date()
        await query.answer()
        settled = await settle_with(
            services,
            context.bot,
            case,
            requested_proposal(case, today),
            author_id=case.buyer_id,
            author_role=Role.BUYER,
            acceptor_id=user.id,
            acceptor_role=role,
            source="claim",
        )
        if not settled:
            now_case = await services.db.cases.get(case.id) or case
            await send(context.bot, user.id, moved_on(tr, now_case))
        return
    await query.answer()
    if args[0] == "c":
        await proposal_builder.start(services, context.bot, case, user.id, role, tr)
        return
    await services.db.inputs.put(
        user.id, user.id, CONTEST, case.id, "statement", {}, services.clock.now()
    )
    await send(context.bot, user.id, tr.t("supplier.ask_contest"))


async def on_contest(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    if message.text is None:
        raise v.ValidationError("answer.expected_text")
    statement = v.parse_text(message.text, max_len=4000)
    case = await services.db.cases.get(pending.case_id)
    assert case is not None
    if case.state is not CaseState.AWAITING_SUPPLIER:  # answered or closed meanwhile
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, moved_on(tr, case))
        return
    now = services.clock.now()
    negotiation = services.deadline(DeadlineKind.NEGOTIATION, now, filed_at=case.submitted_at)
    case = await services.db.cases.transition(
        case.id,
        Action.SUPPLIER_RESPOND,
        user.id,
        Role.SUPPLIER,
        now,
        reason="supplier contests the claim",
        payload={"response": "contest", "statement": statement},
        new_deadline=negotiation,
    )
    await services.db.inputs.clear(user.id, user.id)
    log.info("supplier contests the claim")
    await to_case(
        services,
        context.bot,
        case,
        lambda t: t.t(
            "supplier.contested",
            number=case_number(case.id),
            statement=statement,
            due=t.datetime(negotiation.due_at),
        ),
        private_to=[case.buyer_id, user.id],
    )


inputs.register(CONTEST, on_contest)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_answer, pattern=rf"^{ANSWER}:")]
