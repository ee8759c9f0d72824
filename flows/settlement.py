"""After agreement: each obligation stated (who does what by when), marked done with proof by
the obligated party, confirmed by the other; the case closes when every obligation is confirmed.
A party who says an obligation was not done sends the case to mediation
(`flows/obligation_dispute.py`: asked why first, since it cannot be undone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import chat_links, inputs, obligation_dispute
from flows.audience import RenderRows, for_case, parties, readers
from flows.buttons import FulfilAction, FulfilButton
from flows.callbacks import encode, pattern
from flows.case_context import PARTY_ROLES, case_button
from flows.claim_render import case_number, evidence_number
from flows.common import Button, keyboard
from flows.evidence_intake import checked_file, record_file
from flows.logs import bind_case
from flows.messaging import clear_buttons, send
from flows.obligation_dispute import FULFILMENT_STATES as FULFILMENT_STATES  # re-exported
from flows.outbox import after_commit
from flows.proposal_render import obligation_number, obligation_text, proposal_number, role_name
from flows.rules.lifecycle import (
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    Role,
)
from flows.rules.validation import EvidenceKind, EvidenceTag
from flows.services import Services
from locales.i18n import N_, Translator
from storage import (
    Case,
    ConcurrentUpdate,
    Conflict,
    Move,
    Obligation,
    OutboxMessage,
    PendingInput,
    User,
    role_in,
)
from storage import Proposal as StoredProposal

log = logging.getLogger(__name__)

PROOF_REFERENCE_MAX_LEN = 500  # a transfer or tracking reference, with a word or two around it

PROOF = "proof"
# Pressed by the obligated party (done, with or without proof); the rest by the other side.
OBLIGATED_ACTIONS = frozenset({FulfilAction.DONE, FulfilAction.DONE_NO_PROOF})


def _lines(tr: Translator, duties: list[Obligation]) -> str:
    return "\n".join(
        obligation_text(
            tr, o.number, o.party_role, o.kind, o.amount, o.currency, o.due_at, o.details
        )
        for o in duties
    )


def _done_label(tr: Translator, duty: Obligation) -> str:
    return tr.t("button.mark_done", number=obligation_number(duty.number))


async def news(
    services: Services, case: Case, by: Role
) -> Callable[[StoredProposal, list[Obligation]], list[OutboxMessage]]:
    """The settlement's news for the shared chat and each party privately, each obligation with
    its "Mark done" button; rendered inside the settling transaction (`ProposalRepo.accept`),
    since the buttons name obligations it creates, from translators loaded here beforehand."""
    audience = await readers(services, case, private_to=parties(case))

    def render_all(accepted: StoredProposal, duties: list[Obligation]) -> list[OutboxMessage]:
        # The notice asks both sides to act: it says by when (the fulfilment deadline, the
        # last obligation's) and what follows if the obligations are not confirmed by then.
        due = max(o.due_at for o in duties) if duties else services.clock.now()

        def render(tr: Translator) -> str:
            refund = duties[0] if len(duties) == 1 else None
            # Blind bidding makes no proposal a party could have read: say how it was reached.
            if accepted.source == "blind_bid" and refund and refund.amount and refund.currency:
                return tr.t(
                    "settlement.reached_blind_bid",
                    case=case_number(case),
                    amount=tr.money(refund.amount, refund.currency),
                    obligations=_lines(tr, duties),
                    due=tr.datetime(due),
                )
            return tr.t(
                "settlement.reached",
                case=case_number(case),
                number=proposal_number(accepted.number),
                by=role_name(tr, by),
                obligations=_lines(tr, duties),
                due=tr.datetime(due),
            )

        # "Done" is for the obligated party only. Privately each party gets the buttons of
        # their own obligations; the shared chat, read by both, names whose each button is
        # (the server refuses the other party's press anyway).
        def group_rows(tr: Translator) -> list[list[Button]]:
            return [
                [
                    (
                        tr.t(
                            "button.mark_done_by",
                            number=obligation_number(o.number),
                            party=role_name(tr, o.party_role),
                        ),
                        encode(FulfilButton(o.id, FulfilAction.DONE)),
                    )
                ]
                for o in duties
            ]

        def own_rows(user_id: int) -> RenderRows:
            role = Role.BUYER if user_id == case.buyer_id else Role.SUPPLIER

            def rows(tr: Translator) -> list[list[Button]]:
                mine = [o for o in duties if Role(o.party_role) is role]
                return [
                    [(_done_label(tr, o), encode(FulfilButton(o.id, FulfilAction.DONE)))]
                    for o in mine
                ]

            return rows

        key = f"case:{case.id}:settled:{accepted.id}"
        return audience.render(render, group_rows, key=key, private_rows=own_rows)

    return render_all


async def _load_obligation(
    services: Services, obligation_id: int
) -> tuple[Obligation, Case] | None:
    return await services.db.obligations.with_case(obligation_id)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, FulfilButton, PARTY_ROLES, _load_obligation)
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
    action = press.data.action
    obligated = Role(duty.party_role) is role
    if (action in OBLIGATED_ACTIONS) is not obligated:
        await query.answer(tr.t("obligation.not_yours"), show_alert=True)
        return
    if action is FulfilAction.DONE:
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
        rows = [
            [(tr.t("button.no_proof"), encode(FulfilButton(duty.id, FulfilAction.DONE_NO_PROOF)))]
        ]
        await send(
            context.bot,
            user.id,
            tr.t("obligation.ask_proof", number=obligation_number(duty.number)),
            keyboard(rows),
        )
        return
    if action is FulfilAction.DONE_NO_PROOF:
        await query.answer()
        await _mark_done(services, context.bot, case, duty, user.id, None)
        return
    if action is FulfilAction.CONFIRM:
        await _confirm(services, context.bot, query, case, duty, user.id, role, tr)
        return
    if action is FulfilAction.KEEP:
        await services.db.inputs.clear(user.id, user.id)
        if query.message is not None:
            await clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
        await query.answer(tr.t("obligation.not_done_kept", number=obligation_number(duty.number)))
        return
    if duty.status != "done":
        await query.answer(tr.t("obligation.already", number=obligation_number(duty.number)))
        return
    await query.answer()
    cancel = encode(FulfilButton(duty.id, FulfilAction.KEEP))
    await obligation_dispute.ask_reason(services, context.bot, case, duty, user.id, tr, cancel)


async def on_proof(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The proof of fulfilment: a photo or document (a refund receipt, a tracking slip), or a
    typed reference (a transfer or tracking number), which is recorded as a written statement."""
    reference = None
    if message.text is not None:
        reference = inputs.typed_text(message, PROOF_REFERENCE_MAX_LEN)
    duty = await services.db.obligations.get(int(pending.data["obligation_id"]))
    case = await services.db.cases.get(pending.case_id)
    if duty is None or case is None or case.state not in FULFILMENT_STATES:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, tr.t("obligation.case_moved"))
        return
    role = role_in(case, user.id)
    assert role is not None
    label = tr.t("obligation.proof_label", number=obligation_number(duty.number))
    if reference is not None:
        evidence = await services.db.evidence.add(
            case.id,
            user.id,
            role,
            str(EvidenceKind.STATEMENT),
            label[:100],
            str(EvidenceTag.PAYMENT),
            services.clock.now(),
            text=reference,
        )
    else:
        item = checked_file(message, services.settings.claim_policy())
        evidence = await record_file(
            services,
            context.bot,
            case.id,
            user.id,
            role,
            item,
            (message.caption or label)[:100],
            EvidenceTag.PAYMENT,
        )
    await _mark_done(services, context.bot, case, duty, user.id, evidence.number)


async def _mark_done(
    services: Services, bot: Bot, case: Case, duty: Obligation, user_id: int, proof: int | None
) -> None:
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
                (tr.t("button.confirm_done"), encode(FulfilButton(duty.id, FulfilAction.CONFIRM))),
                (tr.t("button.not_done"), encode(FulfilButton(duty.id, FulfilAction.NOT_DONE))),
            ]
        ]

    other = case.supplier_id if party is Role.BUYER else case.buyer_id
    # Marked done again after a dispute is news again: the key names this moment.
    key = f"case:{case.id}:done:{duty.id}:{duty.disputed_at or 'first'}"
    news = await for_case(
        services, case, render, rows, key=key, private_to=[other] if other else []
    )
    try:
        await services.db.obligations.mark_done(
            duty.id,
            user_id,
            services.clock.now(),
            proof_evidence_number=proof,
            outbox=news,
            clear_input=(user_id, user_id),  # the proof prompt is answered by this mark
        )
    except Conflict:  # marked meanwhile: the prompt has nothing left to ask
        await services.db.inputs.clear(user_id, user_id)
        return
    await after_commit(services, bot)
    await _acknowledge(services, bot, case, duty, user_id, proof)


async def _acknowledge(
    services: Services, bot: Bot, case: Case, duty: Obligation, user_id: int, proof: int | None
) -> None:
    """Tell the party who marked `duty` done that it was received, who must confirm it, by
    when, and what happens if nobody does (the fulfilment deadline's default outcome)."""
    pending = await services.db.deadlines.pending_for_case(case.id)
    deadline = next((d for d in pending if d.kind is DeadlineKind.FULFILMENT), None)
    if deadline is None:  # decided cases and the like: nothing to wait for
        return
    tr = await services.translator_for_id(user_id)
    party = Role(duty.party_role)
    key = N_("obligation.done_ack_proof") if proof is not None else N_("obligation.done_ack")
    text = tr.t(
        key,
        number=obligation_number(duty.number),
        proof=evidence_number(proof) if proof is not None else "",
        other=role_name(tr, Role.SUPPLIER if party is Role.BUYER else Role.BUYER),
        due=tr.datetime(deadline.due_at),
    )
    await send(bot, user_id, text)


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
    others = [o for o in await services.db.obligations.list(case.id) if o.id != duty.id]
    last = all(o.status == "confirmed" for o in others)
    news = []
    if not last:  # the last one's news is the case's closing, below
        news = await for_case(
            services,
            case,
            lambda t: t.t("obligation.confirmed", number=obligation_number(duty.number)),
            key=f"case:{case.id}:confirmed:{duty.id}",
        )
    # Rendered for every confirmation: whether it is the last is decided in the transaction,
    # under the case's lock, where the closing commits with it.
    closed = await for_case(
        services,
        case,
        lambda t: t.t("case.closed_fulfilled", number=case_number(case)),
        key=f"case:{case.id}:v{case.version + 1}:closed_fulfilled",
        private_to=parties(case),
    )
    close = Move(
        Action.CONFIRM_FULFILMENT, user_id, role, reason="every obligation confirmed", outbox=closed
    )
    try:
        await services.db.obligations.confirm(
            duty.id, user_id, services.clock.now(), outbox=news, close=close
        )
    except Conflict:
        await query.answer(tr.t("obligation.already", number=obligation_number(duty.number)))
        return
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.warning("confirming the last obligation not applied: %s", exc)
        await query.answer(tr.t("obligation.already", number=obligation_number(duty.number)))
        return
    await query.answer()
    case = await services.db.cases.get(case.id) or case
    if case.state is CaseState.CLOSED:
        log.info("case closed: obligations fulfilled")
        await chat_links.revoke_case_links(services, bot, case)  # nobody joins a closed case
    await after_commit(services, bot, step="confirmed")  # the news says it is closed: it is


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {PROOF: on_proof}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_button, pattern=pattern(FulfilButton))]
