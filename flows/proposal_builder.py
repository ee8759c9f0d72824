"""Building a proposal in the private chat: terms chosen with buttons, details typed.

The proposal under construction is a pending input (kind "proposal"), so it survives a
restart. Every button names the case and is checked against the caller's own pending input.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from flows import inputs
from flows.buttons import BuildAction, BuildButton
from flows.callbacks import decode, encode, pattern
from flows.case_context import party_of, resolve
from flows.chat_migration import follower
from flows.claim_render import case_number
from flows.common import Button, chunk, keyboard
from flows.errors_render import validation_message
from flows.mediator_proposal_news import answer_first
from flows.messaging import send
from flows.proposal_render import terms_text
from flows.proposal_submit import paid_of, submit_proposal
from flows.rules.lifecycle import CaseState, ClosingReason, Role
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
from storage import Case, Conflict, OutboxMessage, PendingInput, User
from storage import Proposal as StoredProposal

KIND = "proposal"
PROPOSING_STATES = frozenset(
    {CaseState.AWAITING_SUPPLIER, CaseState.NEGOTIATION, CaseState.MEDIATION}
)
TERM_BUTTONS = (
    (BuildAction.FULL, N_("outcome.full_refund")),
    (BuildAction.PARTIAL, N_("outcome.partial_refund")),
    (BuildAction.RETURN, N_("outcome.return_and_refund")),
    (BuildAction.PARTIAL_RETURN, N_("outcome.partial_return")),
    (BuildAction.REPLACEMENT, N_("outcome.replacement")),
    (BuildAction.DISCOUNT, N_("outcome.discount")),
    (BuildAction.OTHER, N_("outcome.other")),
)
FREIGHT = frozenset({BuildAction.FREIGHT_BUYER, BuildAction.FREIGHT_SUPPLIER})  # who pays it
TEXT_STEPS = {
    "partial": N_("builder.ask.partial"),
    "preturn_items": N_("builder.ask.return_items"),
    "preturn_refund": N_("builder.ask.return_refund"),
    "replacement_qty": N_("builder.ask.replacement_qty"),
    "replacement_date": N_("builder.ask.replacement_date"),
    "discount": N_("builder.ask.discount"),
    "other": N_("builder.ask.other"),
}


def may_propose(case: Case, role: Role) -> bool:
    """Proposals are made while the case is open for them; before the supplier answered, only
    the supplier proposes (the claim is the buyer's proposal). The case's mediator proposes
    in mediation (`flows/mediator_proposal.py`)."""
    if role is Role.MEDIATOR:  # only the case's own mediator has this role in it
        return case.state is CaseState.MEDIATION
    if case.state not in PROPOSING_STATES or role not in (Role.BUYER, Role.SUPPLIER):
        return False
    return case.state is not CaseState.AWAITING_SUPPLIER or role is Role.SUPPLIER


def refusal(tr: Translator, case: Case) -> str:
    """Why no proposal can be made in `case` now, with the real reason when the case closed
    (a withdrawn claim is not "at this stage")."""
    number = case_number(case)
    if case.state is CaseState.CLOSED:
        if case.closed_reason is ClosingReason.WITHDRAWN:
            return tr.t("builder.not_now_withdrawn", number=number)
        return tr.t("builder.not_now_closed", number=number)
    return tr.t("builder.not_now", number=number)


async def start(
    services: Services,
    bot: Bot,
    case: Case,
    user_id: int,
    role: Role,
    tr: Translator,
    reply_to: int | None = None,
) -> None:
    """Open the builder in the caller's private chat."""
    if not may_propose(case, role):
        await send(bot, user_id, refusal(tr, case))
        return
    blocked = await answer_first(services, case, role, tr)
    if blocked is not None:
        await send(bot, user_id, blocked)
        return
    data: dict[str, Any] = {"terms": [], "reply_to": reply_to}
    pending = await services.db.inputs.put(
        user_id, user_id, KIND, case.id, "menu", data, services.clock.now()
    )
    await _show(services, bot, case, pending, tr)


async def _show(
    services: Services, bot: Bot, case: Case, pending: PendingInput, tr: Translator
) -> None:
    paid, currency = paid_of(case)
    if pending.step in TEXT_STEPS:
        rows = [[(tr.t("button.cancel"), encode(BuildButton(case.id, BuildAction.CANCEL)))]]
        ask = tr.t(TEXT_STEPS[pending.step], currency=currency)
        await send(bot, pending.user_id, ask, keyboard(rows))
        return
    if pending.step == "freight":
        rows = [
            [
                (tr.t("role.buyer_pays"), encode(BuildButton(case.id, BuildAction.FREIGHT_BUYER))),
                (
                    tr.t("role.supplier_pays"),
                    encode(BuildButton(case.id, BuildAction.FREIGHT_SUPPLIER)),
                ),
            ]
        ]
        await send(bot, pending.user_id, tr.t(N_("builder.ask.freight")), keyboard(rows))
        return
    proposal = terms_of(pending.data)
    lines = [tr.t("builder.intro", number=case_number(case))]
    if proposal.terms:
        lines.append(tr.t("builder.terms_so_far") + "\n" + terms_text(proposal, tr, paid, currency))
    lines.append(tr.t("builder.add_term"))
    buttons: list[Button] = [
        (tr.t(key), encode(BuildButton(case.id, code))) for code, key in TERM_BUTTONS
    ]
    rows = chunk(buttons, 2)
    last: list[Button] = []
    if proposal.terms:
        last.append((tr.t("button.send_proposal"), encode(BuildButton(case.id, BuildAction.SEND))))
    last.append((tr.t("button.cancel"), encode(BuildButton(case.id, BuildAction.CANCEL))))
    await send(bot, pending.user_id, "\n\n".join(lines), keyboard([*rows, last]))


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    pressed = decode(query.data, BuildButton)
    found = None
    if pressed is not None:
        found = await party_of(services, pressed.case_id, user.id)
    if pressed is None or found is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    case, role = found
    pending = await services.db.inputs.get(user.id, user.id)
    if pending is None or pending.kind != KIND or pending.case_id != case.id:
        await query.answer(tr.t("callback.stale"), show_alert=True)
        return
    await query.answer()
    action = pressed.action
    now = services.clock.now()
    data = dict(pending.data)
    if action is BuildAction.CANCEL:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, tr.t("builder.cancelled"))
        return
    if action is BuildAction.SEND:
        await _send(services, context.bot, case, role, pending, user, tr)
        return
    step = "menu"
    try:
        if action is BuildAction.FULL:
            data = with_term(data, FullRefund(), case, services, tr)
        elif action in FREIGHT and pending.step == "freight":
            party: Party = "buyer" if action is BuildAction.FREIGHT_BUYER else "supplier"
            part = data.pop("preturn", None)  # the freight of a partial return, if one is built
            term: Term = ReturnAndRefund(party) if part is None else partial_return(part, party)
            data = with_term(data, term, case, services, tr)
        elif action is BuildAction.RETURN:
            data.pop("preturn", None)
            step = "freight"
        elif action is BuildAction.PARTIAL_RETURN:
            step = "preturn_items"
        elif action is BuildAction.REPLACEMENT:
            step = "replacement_qty"
        elif action.value in TEXT_STEPS:
            step = action.value
        else:
            raise ValidationError("answer.use_buttons")
    except ValidationError as error:
        await send(context.bot, user.id, validation_message(error, tr))
    pending = await services.db.inputs.put(
        user.id, user.id, KIND, case.id, step, data, now, expected_version=pending.version
    )
    await _show(services, context.bot, case, pending, tr)


async def on_text(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    case = await services.db.cases.get(pending.case_id)
    assert case is not None
    if pending.step not in TEXT_STEPS or message.text is None:
        raise ValidationError("answer.use_buttons" if message.text else "answer.expected_text")
    text = message.text
    data = dict(pending.data)
    try:
        data, step = term_answer(pending.step, text, data, case, services, tr)
    except ValidationError as error:
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


async def _send(
    services: Services,
    bot: Bot,
    case: Case,
    role: Role,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    case = await services.db.cases.get(case.id) or case
    if not may_propose(case, role):  # the case moved on while the proposal was being built
        await services.db.inputs.clear(user.id, user.id)
        await send(bot, user.id, refusal(tr, case))
        return
    proposal = terms_of(pending.data)
    paid, currency = paid_of(case)
    try:
        proposal.validate(paid, currency, services.clock.now(), tz=tr.tz)
    except ValidationError as error:
        await send(bot, user.id, validation_message(error, tr))
        await _show(services, bot, case, pending, tr)
        return

    def sent(made: StoredProposal) -> OutboxMessage:
        text = tr.t("builder.sent", number=f"P{made.number}")
        return OutboxMessage(user.id, text, f"case:{case.id}:proposal:{made.id}:sent", case.id)

    # The builder is consumed, and the author told, in the proposal's own transaction: a
    # crash loses none of it.
    try:
        await submit_proposal(
            services,
            bot,
            case,
            user.id,
            role,
            proposal,
            clear_input=(user.id, user.id),
            author_note=sent,
        )
    except Conflict:
        # The mediator proposed while this was being built: that proposal is answered first.
        blocked = await answer_first(services, case, role, tr)
        if blocked is None:
            raise
        await services.db.inputs.clear(user.id, user.id)
        await send(bot, user.id, blocked)


async def on_propose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/propose [case]: start a proposal, in the private chat."""
    services = get_services(context)
    caller = await resolve(services, update, context.args)
    if caller is None:
        return
    message = update.effective_message
    if message is not None and message.chat.type != "private":
        # Said in the shared chat to one person, in their language: named, so that the others
        # (who may read another language) see it is not for them. A refusal is said there
        # instead, with its reason: no private message is sent then.
        if not may_propose(caller.case, caller.role):
            text = refusal(caller.tr, caller.case)
            await send(context.bot, message.chat_id, text, follow=follower(services))
            return
        text = caller.tr.t("builder.in_private", name=caller.user.first_name)
        await send(context.bot, message.chat_id, text, follow=follower(services))
    await start(services, context.bot, caller.case, caller.user.id, caller.role, caller.tr)


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {KIND: on_text}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("propose", on_propose),
        CallbackQueryHandler(on_button, pattern=pattern(BuildButton)),
    ]
