"""The supplier's answer to the claim: accept the buyer's request, counter-propose, or contest.

Answering stops the supplier-response deadline: accepting settles the case (the claim's
requested outcome is the accepted proposal), and because that cannot be undone the supplier
confirms it first, with the terms in front of them; a counter-proposal or a contest opens
negotiation.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import inputs, proposal_builder
from flows.audience import for_case
from flows.buttons import SupplierAction, SupplierAnswer
from flows.callbacks import encode, pattern
from flows.case_context import case_button
from flows.claim_render import case_number, outcome_text
from flows.common import Button
from flows.logs import bind_case
from flows.messaging import clear_buttons, send
from flows.outbox import after_commit
from flows.proposal_render import terms_text
from flows.proposal_submit import paid_of
from flows.proposals import ask_to_confirm, settle_with
from flows.rules.lifecycle import Action, CaseState, ClosingReason, DeadlineKind, Role
from flows.rules.proposals import (
    Discount,
    FullRefund,
    Other,
    PartialRefund,
    Proposal,
    Replacement,
    ReturnAndRefund,
    Term,
)
from flows.rules.validation import DesiredOutcome
from flows.services import Services
from flows.stats_similar import similar_hint
from locales.i18n import Translator
from storage import Case, OutboxMessage, PendingInput, User

log = logging.getLogger(__name__)

CONTEST = "contest"
REPLACEMENT_DAYS = 14  # a replacement the supplier accepts is due to ship within this


def requested_proposal(case: Case, today: Any, tz: str = "UTC") -> Proposal:
    """The buyer's requested outcome as a proposal the supplier can accept; a replacement ships
    within `REPLACEMENT_DAYS` of `today`, the date in the accepting supplier's zone `tz`."""
    claim = case.filed_claim
    outcome = claim.outcome
    term: Term
    if outcome is DesiredOutcome.FULL_REFUND:
        term = FullRefund()
    elif outcome is DesiredOutcome.PARTIAL_REFUND:
        percent, amount = claim.partial_refund
        term = PartialRefund(amount=amount, percent=percent)
    elif outcome is DesiredOutcome.RETURN_AND_REFUND:
        term = ReturnAndRefund("supplier")
    elif outcome is DesiredOutcome.REPLACEMENT:
        ship_by = today + timedelta(days=REPLACEMENT_DAYS)
        term = Replacement(claim.quantity, ship_by, tz)
    elif outcome is DesiredOutcome.DISCOUNT:
        # A structured term, so that the settlement reads it in each reader's language (it
        # was an "other" term whose text was the raw value "discount").
        # Its size as the buyer gave it; a claim filed before the form asked for it has none,
        # and the supplier who accepts it confirms the size in writing.
        percent, amount = claim.discount
        term = Discount(percent=percent, amount=amount)
    else:
        term = Other(claim.outcome_text or "")
    return Proposal((term,))


def answer_rows(tr: Translator, case_id: int) -> list[list[Button]]:
    """The supplier's three answers to the claim (also offered again by /case)."""
    return [
        [
            (
                tr.t("button.accept_request"),
                encode(SupplierAnswer(case_id, SupplierAction.ASK_ACCEPT)),
            )
        ],
        [(tr.t("button.counter"), encode(SupplierAnswer(case_id, SupplierAction.COUNTER)))],
        [(tr.t("button.contest"), encode(SupplierAnswer(case_id, SupplierAction.CONTEST)))],
    ]


async def question(services: Services, case: Case, user_id: int, key: str) -> OutboxMessage:
    """The supplier's answer buttons (accept, counter, contest) as an outbox row, queued with
    their joining so that a crash cannot leave them without a way to answer."""
    tr = await services.translator_for_id(user_id)
    deadline = await services.db.deadlines.next_for_case(case.id)
    rows = answer_rows(tr, case.id)
    text = tr.t(
        "supplier.answer_question",
        outcome=outcome_text(case.filed_claim, tr),
        due=tr.datetime(deadline.due_at) if deadline is not None else "—",
    )
    return OutboxMessage(user_id, text, f"{key}|ask:{user_id}", case.id, rows)


def moved_on(tr: Translator, case: Case) -> str:
    """Why the claim can no longer be answered: it was answered, or the case closed (and a
    withdrawn claim says so: "already answered" would not be true)."""
    if case.state is not CaseState.CLOSED:
        return tr.t("supplier.already_answered")
    if case.closed_reason is ClosingReason.WITHDRAWN:
        return tr.t("supplier.answer_withdrawn", number=case_number(case))
    return tr.t("supplier.answer_closed", number=case_number(case))


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, SupplierAnswer, frozenset({Role.SUPPLIER}))
    if press is None:
        return
    services, query, user, tr = press.services, press.query, press.user, press.tr
    case, role, action = press.case, press.role, press.data.action
    bind_case(case.id)
    if action in (SupplierAction.ACCEPT, SupplierAction.NOT_NOW) and query.message is not None:
        # A confirmation is answered once, whatever the answer: its buttons go.
        await clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
    if case.state is not CaseState.AWAITING_SUPPLIER:
        await query.answer(moved_on(tr, case), show_alert=True)
        return
    today = services.clock.now().astimezone(tr.tz).date()
    if action is SupplierAction.ASK_ACCEPT:
        paid, currency = paid_of(case)
        text = tr.t(
            "supplier.confirm_accept",
            case=case_number(case),
            terms=terms_text(requested_proposal(case, today, tr.tz.key), tr, paid, currency),
        )
        yes = (
            tr.t("button.accept_request_yes"),
            encode(SupplierAnswer(case.id, SupplierAction.ACCEPT)),
        )
        no = (tr.t("button.not_now"), encode(SupplierAnswer(case.id, SupplierAction.NOT_NOW)))
        await ask_to_confirm(context.bot, user.id, text, yes, no, query, tr)
        return
    if action is SupplierAction.NOT_NOW:
        await query.answer(tr.t("supplier.accept_kept"))
        return
    if action is SupplierAction.ACCEPT:
        await query.answer()
        settled = await settle_with(
            services,
            context.bot,
            case,
            requested_proposal(case, today, tr.tz.key),
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
    if action is SupplierAction.COUNTER:
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
    statement = inputs.typed_text(message, 4000)
    case = await services.db.cases.get(pending.case_id)
    assert case is not None
    if case.state is not CaseState.AWAITING_SUPPLIER:  # answered or closed meanwhile
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, moved_on(tr, case))
        return
    now = services.clock.now()
    negotiation = services.deadline(DeadlineKind.NEGOTIATION, now, filed_at=case.submitted_at)
    number = case_number(case)
    news = await for_case(
        services,
        case,
        lambda t: t.t(
            "supplier.contested",
            number=number,
            statement=statement,
            due=t.datetime(negotiation.due_at),
        ),
        key=f"case:{case.id}:v{case.version + 1}:contested",
        private_to=[case.buyer_id, user.id],
    )
    hint = await similar_hint(services, case)  # the case enters negotiation
    news = [*news, *hint(f"case:{case.id}:negotiation")]
    case = await services.db.cases.transition(
        case.id,
        Action.SUPPLIER_RESPOND,
        user.id,
        Role.SUPPLIER,
        now,
        reason="supplier contests the claim",
        payload={"response": "contest", "statement": statement},
        new_deadline=negotiation,
        outbox=news,
        clear_input=(user.id, user.id),  # the statement is consumed with the response
    )
    log.info("supplier contests the claim")
    await after_commit(services, context.bot)


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {CONTEST: on_contest}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_answer, pattern=pattern(SupplierAnswer))]
