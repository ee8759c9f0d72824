"""The mediator's decision, built step by step in their private chat: `/decide <number>`
(or `start_decision`, which the mediator's panel calls), only by the case's own mediator and
only in arbitration.

Steps: the outcome (terms of the proposal model, combinable, or a dismissal of the claim; in a
reconsideration also "confirm the decision in force"), for terms the time the parties have to
fulfil them (FULFILMENT_DAYS kept with one tap, or typed in days), then the written reasons,
which cite evidence by number or, after "No evidence applies", explain why none does, then a
preview of the exact text the parties will read and "Issue the decision". The decision being
built is a pending input (kind "decision"), so it survives a restart; Back and Cancel at every
step.
Every press and answer is checked again against the case (its mediator, its state).
"""

from __future__ import annotations

import logging
from enum import IntEnum
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from flows import decision_text, inputs, statements_round
from flows.callbacks import DecideCase, DecisionStep, decode, encode, pattern
from flows.case_context import numbered_command
from flows.claim_render import case_number
from flows.common import Button, chunk, keyboard
from flows.decision_preview import issue_pending, preview, refusal
from flows.errors_render import validation_message
from flows.logs import bind_case
from flows.mediator_panel import mediator_press
from flows.messaging import send
from flows.proposal_render import terms_text
from flows.proposal_submit import paid_of
from flows.rules.decisions import FULFILMENT_DAYS_MAX, check_reasons, parse_fulfilment_days
from flows.rules.lifecycle import CaseState
from flows.rules.proposals import (
    FullRefund,
    Party,
    ReturnAndRefund,
    Term,
)
from flows.rules.validation import ValidationError
from flows.services import Services, get_services
from flows.term_steps import partial_return, term_answer, terms_of, with_term
from locales.i18n import N_, Translator
from storage import Case, PendingInput, User

log = logging.getLogger(__name__)

KIND = "decision"


class DecisionAction(IntEnum):
    """What a decision button does (its callback data carries the number)."""

    FULL = 1
    PARTIAL = 2
    RETURN = 3
    REPLACEMENT = 4
    DISCOUNT = 5
    OTHER = 6
    DISMISS = 7
    NEXT = 8  # on to the reasons
    NO_EVIDENCE = 9
    BACK = 10
    CANCEL = 11
    ISSUE = 12
    FREIGHT_BUYER = 13
    FREIGHT_SUPPLIER = 14
    CONFIRM = 15  # a reconsideration keeps the decision in force
    PRERETURN = 16  # a partial return
    KEEP_DAYS = 17  # the default time to fulfil (FULFILMENT_DAYS)


A = DecisionAction
TERM_BUTTONS = (
    (A.FULL, N_("outcome.full_refund")),
    (A.PARTIAL, N_("outcome.partial_refund")),
    (A.RETURN, N_("outcome.return_and_refund")),
    (A.PRERETURN, N_("outcome.partial_return")),
    (A.REPLACEMENT, N_("outcome.replacement")),
    (A.DISCOUNT, N_("outcome.discount")),
    (A.OTHER, N_("outcome.other")),
)
# The typed steps of a term, and the question each asks (the proposal builder's wording).
TEXT_STEPS = {
    "partial": N_("builder.ask.partial"),
    "preturn_items": N_("builder.ask.return_items"),
    "preturn_refund": N_("builder.ask.return_refund"),
    "replacement_qty": N_("builder.ask.replacement_qty"),
    "replacement_date": N_("builder.ask.replacement_date"),
    "discount": N_("builder.ask.discount"),
    "other": N_("builder.ask.other"),
}
STARTS = {
    A.PARTIAL: "partial",
    A.PRERETURN: "preturn_items",
    A.REPLACEMENT: "replacement_qty",
    A.DISCOUNT: "discount",
    A.OTHER: "other",
}


def _b(tr: Translator, key: str, case: Case, action: DecisionAction, **params: Any) -> Button:
    return (tr.t(key, **params), encode(DecisionStep(case.id, int(action))))


async def start_decision(services: Services, bot: Bot, case: Case, mediator_id: int) -> None:
    """Open the decision for the case's own mediator in their private chat (the mediator's
    panel calls this; so does /decide). Anyone else, or another state, is told why not."""
    tr = await services.translator_for_id(mediator_id)
    why = refusal(tr, case, mediator_id, case_number(case))
    if why is not None:
        await send(bot, mediator_id, why)
        return
    bind_case(case.id)
    # The parties' last word comes first: no decision while they may still give it.
    statements_end = await statements_round.round_due(services, case)
    if statements_end is not None:
        text = tr.t(
            "decision.statements_open",
            number=case_number(case),
            due=tr.datetime(statements_end),
        )
        await send(bot, mediator_id, text)
        return
    in_force = await services.db.decisions.in_force(case.id)
    data: dict[str, Any] = {
        "terms": [],
        "reconsidering": in_force.number if in_force is not None else None,
    }
    pending = await services.db.inputs.put(
        mediator_id, mediator_id, KIND, case.id, "menu", data, services.clock.now()
    )
    await _show(services, bot, case, pending, tr)


async def _evidence_numbers(services: Services, case: Case) -> list[int]:
    """The items the mediator may cite: every item of the case (mediator-only ones too)."""
    return [e.number for e in await services.db.evidence.list(case.id)]


async def _show(
    services: Services, bot: Bot, case: Case, pending: PendingInput, tr: Translator
) -> None:
    data = pending.data
    step = pending.step
    paid, currency = paid_of(case)
    cancel = _b(tr, N_("button.cancel"), case, A.CANCEL)
    back = _b(tr, N_("button.back"), case, A.BACK)
    if step in TEXT_STEPS:
        await send(
            bot,
            pending.user_id,
            tr.t(TEXT_STEPS[step], currency=currency),
            keyboard([[back, cancel]]),
        )
        return
    if step == "days":
        default = decision_text.fulfilment_days(services)
        keep = _b(tr, N_("button.decision_keep_days"), case, A.KEEP_DAYS, days=default)
        text = tr.t("decision.ask_days", days=default, max=FULFILMENT_DAYS_MAX)
        await send(bot, pending.user_id, text, keyboard([[keep], [back, cancel]]))
        return
    if step == "freight":
        rows = [
            [
                _b(tr, N_("role.buyer_pays"), case, A.FREIGHT_BUYER),
                _b(tr, N_("role.supplier_pays"), case, A.FREIGHT_SUPPLIER),
            ],
            [back, cancel],
        ]
        await send(bot, pending.user_id, tr.t("builder.ask.freight"), keyboard(rows))
        return
    if step == "reasons":
        numbers = await _evidence_numbers(services, case)
        items = ", ".join(f"E{n}" for n in numbers) or tr.t("decision.no_items")
        key = (
            N_("decision.ask_reasons_no_evidence")
            if data.get("no_evidence")
            else N_("decision.ask_reasons")
        )
        rows = [[back, cancel]]
        if not data.get("no_evidence"):
            rows.insert(0, [_b(tr, N_("button.decision_no_evidence"), case, A.NO_EVIDENCE)])
        text = tr.t(key, number=case_number(case), items=items)
        await send(bot, pending.user_id, text, keyboard(rows))
        return
    if step == "preview":
        await send(
            bot,
            pending.user_id,
            await preview(services, case, pending, tr),
            keyboard([[_b(tr, N_("button.decision_issue"), case, A.ISSUE)], [back, cancel]]),
        )
        return
    # The outcome menu.
    lines = [tr.t("decision.intro", number=case_number(case))]
    if data.get("reconsidering"):
        lines.append(tr.t("decision.reconsidering", decision=f"D{data['reconsidering']}"))
    proposal = terms_of(data)
    if proposal.terms:
        terms = terms_text(proposal, tr, paid, currency)
        lines.append(tr.t("builder.terms_so_far") + "\n" + terms)
    lines.append(tr.t("decision.choose_outcome"))
    rows = chunk([_b(tr, key, case, action) for action, key in TERM_BUTTONS], 2)
    if not proposal.terms:
        rows.append([_b(tr, N_("button.decision_dismiss"), case, A.DISMISS)])
        if data.get("reconsidering"):
            number = f"D{data['reconsidering']}"
            rows.append([_b(tr, N_("button.decision_confirm"), case, A.CONFIRM, decision=number)])
    last = [cancel]
    if proposal.terms:
        last.insert(0, _b(tr, N_("button.decision_next"), case, A.NEXT))
    rows.append(last)
    await send(bot, pending.user_id, "\n\n".join(lines), keyboard(rows))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data_ = decode(query.data, DecisionStep)
    action = None
    if data_ is not None and data_.action in {a.value for a in A}:
        action = A(data_.action)
    case = await services.db.cases.get(data_.case_id) if data_ is not None else None
    if case is None or action is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    bind_case(case.id)
    why = refusal(tr, case, user.id, case_number(case))
    if why is not None:
        await query.answer(why, show_alert=True)
        return
    pending = await services.db.inputs.get(user.id, user.id)
    if pending is None or pending.kind != KIND or pending.case_id != case.id:
        await query.answer(tr.t("callback.stale"), show_alert=True)
        return
    await query.answer()
    if action is A.CANCEL:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, tr.t("decision.cancelled", number=case_number(case)))
        return
    if action is A.ISSUE and pending.step == "preview":
        await issue_pending(services, context.bot, case, pending, user, tr)
        return
    data = dict(pending.data)
    step = pending.step
    try:
        step, data = _press(action, step, data, case, services, tr)
    except ValidationError as error:
        await send(context.bot, user.id, validation_message(error, tr))
    pending = await services.db.inputs.put(
        user.id,
        user.id,
        KIND,
        case.id,
        step,
        data,
        services.clock.now(),
        expected_version=pending.version,
    )
    await _show(services, context.bot, case, pending, tr)


def _press(
    action: DecisionAction,
    step: str,
    data: dict[str, Any],
    case: Case,
    services: Services,
    tr: Translator,
) -> tuple[str, dict[str, Any]]:
    """The step and data after a press (ValidationError: the step stays as it was)."""
    if action is A.BACK:
        if step == "preview":
            return "reasons", {**data, "reasons": None}
        if step == "reasons":
            cleared = {**data, "no_evidence": False, "dismiss": False, "confirm": False}
            return "menu", {**cleared, "fulfilment_days": None}
        data.pop("preturn", None)
        data.pop("quantity", None)
        return "menu", data
    if step == "menu":
        if action is A.FULL:
            return "menu", with_term(data, FullRefund(), case, services, tr)
        if action is A.RETURN:
            return "freight", data
        if action in STARTS:
            return STARTS[action], data
        if action is A.DISMISS and not data.get("terms"):
            return "reasons", {**data, "dismiss": True}
        if action is A.CONFIRM and data.get("reconsidering") and not data.get("terms"):
            return "reasons", {**data, "confirm": True}
        if action is A.NEXT and data.get("terms"):
            return "days", data
    if step == "days" and action is A.KEEP_DAYS:
        days = decision_text.fulfilment_days(services)
        return "reasons", {**data, "fulfilment_days": days}
    if step == "freight" and action in (A.FREIGHT_BUYER, A.FREIGHT_SUPPLIER):
        party: Party = "buyer" if action is A.FREIGHT_BUYER else "supplier"
        part = data.pop("preturn", None)
        term: Term = ReturnAndRefund(party) if part is None else partial_return(part, party)
        return "menu", with_term(data, term, case, services, tr)
    if step == "reasons" and action is A.NO_EVIDENCE:
        return "reasons", {**data, "no_evidence": True}
    raise ValidationError("answer.use_buttons")


async def on_text(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    case = await services.db.cases.get(pending.case_id)
    why = refusal(tr, case, user.id, case_number(case) if case else "")
    if case is None or why is not None:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, message.chat_id, why or tr.t("callback.unavailable"))
        return
    if pending.step not in (*TEXT_STEPS, "reasons", "days") or message.text is None:
        raise ValidationError("answer.use_buttons" if message.text else "answer.expected_text")
    text = message.text
    data = dict(pending.data)
    step = "menu"
    try:
        if pending.step == "reasons":
            existing = await _evidence_numbers(services, case)
            reasons, cited = check_reasons(
                text, existing, no_evidence=bool(data.get("no_evidence"))
            )
            data.update(reasons=reasons, cited=cited)
            step = "preview"
        elif pending.step == "days":
            data["fulfilment_days"] = parse_fulfilment_days(text)
            step = "reasons"
        else:
            data, step = term_answer(pending.step, text, data, case, services, tr)
    except ValidationError as error:
        # Said with its reason, and the same step asked again: nothing typed so far is lost.
        await send(context.bot, message.chat_id, validation_message(error, tr))
        await _show(services, context.bot, case, pending, tr)
        return
    pending = await services.db.inputs.put(
        user.id,
        user.id,
        KIND,
        case.id,
        step,
        data,
        services.clock.now(),
        expected_version=pending.version,
    )
    await _show(services, context.bot, case, pending, tr)


async def on_decide(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/decide <number>: the case's own mediator decides it, privately."""
    command = await numbered_command(update, context, N_("decision.usage"))
    if command is None:
        return
    case, user = command.case, command.user
    why = refusal(command.tr, case, user.id, f"#{command.number}")
    if case is None or why is not None:
        await send(context.bot, command.chat_id, why or "")
        return
    await start_decision(command.services, context.bot, case, user.id)


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {KIND: on_text}


async def on_decide_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The panel's "Decide": the case's own mediator, in arbitration."""
    pressed = await mediator_press(update, context, DecideCase, {CaseState.ARBITRATION})
    if pressed is None:
        return
    press, _data = pressed
    await press.query.answer()
    await start_decision(press.services, context.bot, press.case, press.user.id)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_decide_button, pattern=pattern(DecideCase)),
        CommandHandler("decide", on_decide, filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_button, pattern=pattern(DecisionStep)),
    ]
