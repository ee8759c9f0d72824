"""After agreement: each obligation stated (who does what by when), marked done with proof by
the obligated party, confirmed by the other; the case closes when every obligation is confirmed.
A party who says an obligation was not done sends the case to mediation.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.i18n import N_, Translator
from bot.logs import bind_case
from bot.services import Services
from flows import chat_links, inputs
from flows.audience import parties, to_case
from flows.case_context import PARTY_ROLES, case_button
from flows.claim_render import case_number, evidence_number
from flows.common import Button, keyboard, pack
from flows.evidence_intake import checked_file, record_file
from flows.messaging import send
from flows.proposal_render import obligation_number, obligation_text, proposal_number, role_name
from flows.rules.lifecycle import (
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    Role,
    check_transition,
)
from flows.rules.validation import EvidenceTag, ValidationError
from storage import Case, ConcurrentUpdate, Conflict, Obligation, PendingInput, User
from storage import Proposal as StoredProposal

log = logging.getLogger(__name__)

FULFILMENT_STATES = frozenset({CaseState.SETTLED, CaseState.DECIDED})
FULFIL = "ob"  # ob:<obligation id>:d (done) | n (done, no proof) | c (confirm) | x (not done)
PROOF = "proof"


def _lines(tr: Translator, duties: list[Obligation]) -> str:
    return "\n".join(
        obligation_text(
            tr, o.number, o.party_role, o.kind, o.amount, o.currency, o.due_at, o.details
        )
        for o in duties
    )


def _done_label(tr: Translator, duty: Obligation) -> str:
    return tr.t("button.mark_done", number=obligation_number(duty.number))


async def announce(
    services: Services,
    bot: Bot,
    case: Case,
    accepted: StoredProposal,
    duties: list[Obligation],
    by: Role,
) -> None:
    # The notice asks both sides to act: it says by when (the fulfilment deadline, the last
    # obligation's) and what follows if the obligations are not confirmed by then.
    fulfilment = await services.db.deadlines.next_for_case(case.id)
    now = services.clock.now()
    due = fulfilment.due_at if fulfilment else services.policy.due_at(DeadlineKind.FULFILMENT, now)

    def render(tr: Translator) -> str:
        refund = duties[0] if len(duties) == 1 else None
        # Blind bidding makes no proposal a party could have read: say how it was reached.
        if accepted.source == "blind_bid" and refund and refund.amount and refund.currency:
            return tr.t(
                "settlement.reached_blind_bid",
                case=case_number(case.id),
                amount=tr.money(refund.amount, refund.currency),
                obligations=_lines(tr, duties),
                due=tr.datetime(due),
            )
        return tr.t(
            "settlement.reached",
            case=case_number(case.id),
            number=proposal_number(accepted.number),
            by=role_name(tr, by),
            obligations=_lines(tr, duties),
            due=tr.datetime(due),
        )

    def rows(tr: Translator) -> list[list[Button]]:
        return [
            [
                (
                    tr.t("button.mark_done", number=obligation_number(o.number)),
                    pack(FULFIL, o.id, "d"),
                )
            ]
            for o in duties
        ]

    await to_case(
        services,
        bot,
        case,
        render,
        rows,
        private_to=parties(case),
    )


async def _load_obligation(services: Services, obligation_id: int) -> Obligation | None:
    return await services.db.obligations.get(obligation_id)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(
        update, context, PARTY_ROLES, 3, _load_obligation, actions=("d", "n", "c", "x")
    )
    if press is None:
        return
    services, query, user, tr = press.services, press.query, press.user, press.tr
    case, role, duty = press.case, press.role, press.item
    assert isinstance(duty, Obligation)
    bind_case(case.id)
    if case.state not in FULFILMENT_STATES:
        # In mediation (a disputed obligation) or closed: the buttons of the settlement no
        # longer decide anything; the mediator takes it from here.
        await query.answer(tr.t("obligation.case_moved"), show_alert=True)
        return
    action = press.args[0]
    obligated = Role(duty.party_role) is role
    if (action in ("d", "n") and not obligated) or (action in ("c", "x") and obligated):
        await query.answer(tr.t("obligation.not_yours"), show_alert=True)
        return
    if action == "d":
        if duty.status not in ("pending", "disputed"):
            await query.answer(tr.t("obligation.already", number=obligation_number(duty.number)))
            return
        await query.answer()
        await services.db.inputs.put(
            user.id,
            user.id,
            PROOF,
            case.id,
            str(duty.id),
            {"obligation_id": duty.id},
            services.clock.now(),
        )
        rows = [[(tr.t("button.no_proof"), pack(FULFIL, duty.id, "n"))]]
        await send(
            context.bot,
            user.id,
            tr.t("obligation.ask_proof", number=obligation_number(duty.number)),
            keyboard(rows),
        )
        return
    if action == "n":
        await query.answer()
        await services.db.inputs.clear(user.id, user.id)
        await _mark_done(services, context.bot, case, duty, user.id, None)
        return
    if action == "c":
        await _confirm(services, context.bot, query, case, duty, user.id, role, tr)
        return
    await _dispute(services, context.bot, query, case, duty, user.id, role, tr)


async def on_proof(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The proof of fulfilment: a photo or document (a refund receipt, a tracking slip)."""
    if message.text is not None:
        raise ValidationError("proof.file_expected")
    duty = await services.db.obligations.get(int(pending.data["obligation_id"]))
    case = await services.db.cases.get(pending.case_id)
    if duty is None or case is None or case.state not in FULFILMENT_STATES:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, tr.t("obligation.case_moved"))
        return
    item = checked_file(message, services.settings.claim_policy())
    role = await services.db.cases.role_of(case.id, user.id)
    assert role is not None
    label = message.caption or tr.t("obligation.proof_label", number=obligation_number(duty.number))
    evidence = await record_file(
        services, context.bot, case.id, user.id, role, item, label[:100], EvidenceTag.PAYMENT
    )
    await services.db.inputs.clear(user.id, user.id)
    await _mark_done(services, context.bot, case, duty, user.id, evidence.number)


async def _mark_done(
    services: Services, bot: Bot, case: Case, duty: Obligation, user_id: int, proof: int | None
) -> None:
    try:
        duty = await services.db.obligations.mark_done(
            duty.id, user_id, services.clock.now(), proof_evidence_number=proof
        )
    except Conflict:
        return
    party = Role(duty.party_role)
    # The confirmation has no deadline of its own: it is due with the fulfilment deadline,
    # whose default outcome (marked unfulfilled, a mediator alerted) the message states.
    fulfilment = await services.db.deadlines.next_for_case(case.id)
    due = fulfilment.due_at if fulfilment is not None else duty.due_at

    def render(tr: Translator) -> str:
        key = N_("obligation.done_with_proof") if proof is not None else N_("obligation.done")
        return tr.t(
            key,
            number=obligation_number(duty.number),
            party=role_name(tr, party),
            proof=evidence_number(proof) if proof is not None else "",
            other=role_name(tr, Role.SUPPLIER if party is Role.BUYER else Role.BUYER),
            due=tr.datetime(due),
        )

    def rows(tr: Translator) -> list[list[Button]]:
        return [
            [
                (tr.t("button.confirm_done"), pack(FULFIL, duty.id, "c")),
                (tr.t("button.not_done"), pack(FULFIL, duty.id, "x")),
            ]
        ]

    other = case.supplier_id if party is Role.BUYER else case.buyer_id
    await to_case(services, bot, case, render, rows, private_to=[other] if other else [])


async def _confirm(
    services: Services,
    bot: Bot,
    query: Any,
    case: Case,
    duty: Obligation,
    user_id: int,
    role: Role,
    tr: Translator,
) -> None:
    try:
        await services.db.obligations.confirm(duty.id, user_id, services.clock.now())
    except Conflict:
        await query.answer(tr.t("obligation.already", number=obligation_number(duty.number)))
        return
    await query.answer()
    if not await services.db.obligations.all_confirmed(case.id):
        await to_case(
            services,
            bot,
            case,
            lambda t: t.t("obligation.confirmed", number=obligation_number(duty.number)),
        )
        return
    try:
        case = await services.db.cases.transition(
            case.id,
            Action.CONFIRM_FULFILMENT,
            user_id,
            role,
            services.clock.now(),
            reason="every obligation confirmed",
        )
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.warning("closing after fulfilment failed: %s", exc)
        return
    log.info("case closed: obligations fulfilled")
    await chat_links.revoke_case_links(services, bot, case)  # nobody joins a closed case
    await to_case(
        services,
        bot,
        case,
        lambda t: t.t("case.closed_fulfilled", number=case_number(case.id)),
        private_to=parties(case),
    )


async def _dispute(
    services: Services,
    bot: Bot,
    query: Any,
    case: Case,
    duty: Obligation,
    user_id: int,
    role: Role,
    tr: Translator,
) -> None:
    now = services.clock.now()
    assignment = services.deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now)
    try:
        check_transition(case.facts, Action.DISPUTE_FULFILMENT, role, now, services.lifecycle)
        await services.db.obligations.dispute(duty.id, user_id, now, reason="not done")
        case = await services.db.cases.transition(
            case.id,
            Action.DISPUTE_FULFILMENT,
            user_id,
            role,
            now,
            reason=f"{obligation_number(duty.number)} disputed",
            new_deadline=assignment,
        )
    except (Conflict, IllegalTransition, ConcurrentUpdate):
        await query.answer(tr.t("obligation.already", number=obligation_number(duty.number)))
        return
    await query.answer()
    await to_case(
        services,
        bot,
        case,
        lambda t: t.t(
            "mediation.waiting_fulfilment",
            number=case_number(case.id),
            obligation=obligation_number(duty.number),
            by=role_name(t, role),
            due=t.datetime(assignment.due_at),
        ),
        private_to=parties(case),
    )


inputs.register(PROOF, on_proof)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_button, pattern=rf"^{FULFIL}:")]
