"""Structured settlement proposals between the parties: made, shown, accepted or rejected.

A proposal is shown to both parties in their own languages with Accept / Reject / Counter
buttons. Only the other party can accept; a newer proposal supersedes the older ones, whose
buttons then say so. Accepting cannot be undone, so Accept only asks, in the presser's private
chat, with the terms again; "Yes, accept" settles the case in one transaction (proposal, case
state, obligations), so a double press or two parties pressing at once applies once.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import proposal_builder, proposal_reasons, settlement
from flows.audience import to_case
from flows.buttons import ProposalAction, ProposalButton
from flows.callbacks import encode, pattern
from flows.case_context import PARTY_ROLES, case_button
from flows.claim_render import case_number
from flows.common import Button, keyboard
from flows.logs import bind_case
from flows.messaging import clear_buttons, send
from flows.outbox import after_commit
from flows.proposal_render import proposal_number, role_name, terms_text
from flows.proposal_submit import other_party, paid_of
from flows.rules.lifecycle import (
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    Role,
)
from flows.rules.proposals import Proposal, obligations
from flows.services import Services
from locales.i18n import N_, Translator
from storage import (
    Case,
    ConcurrentUpdate,
    Conflict,
    NewObligation,
)
from storage import Proposal as StoredProposal

log = logging.getLogger(__name__)

ACCEPT_ACTIONS = {
    CaseState.AWAITING_SUPPLIER: Action.SUPPLIER_ACCEPT,
    CaseState.NEGOTIATION: Action.ACCEPT_PROPOSAL,
    CaseState.MEDIATION: Action.MEDIATION_SETTLE,
}
# A confirmation is answered once, whatever the answer; so is the rejection's reason.
ANSWERS_ONCE = frozenset(
    {ProposalAction.ACCEPT, ProposalAction.NOT_NOW, ProposalAction.SKIP_REASON}
)


async def _load_proposal(
    services: Services, proposal_id: int
) -> tuple[StoredProposal, Case] | None:
    return await services.db.proposals.with_case(proposal_id)


async def on_decide(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, ProposalButton, PARTY_ROLES, _load_proposal)
    if press is None:
        return
    services, query, user, tr = press.services, press.query, press.user, press.tr
    case, role, stored = press.case, press.role, press.item
    assert isinstance(stored, StoredProposal)
    bind_case(case.id)
    action = press.data.action
    if action in ANSWERS_ONCE and query.message is not None:
        # A confirmation is answered once, whatever the answer: its buttons go.
        await clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
    if Role(stored.author_role) is role:
        await query.answer(tr.t("proposal.not_yours_to_decide"), show_alert=True)
        return
    if Role(stored.author_role) is Role.MEDIATOR and action is not ProposalAction.SKIP_REASON:
        # Both parties must accept a mediator's proposal: its own buttons answer it
        # (flows/mediator_proposal.py); here only the rejection's Skip.
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    if action is ProposalAction.SKIP_REASON:  # the rejection needs no reason: it is decided
        await proposal_reasons.skip(services, user.id)
        await query.answer(tr.t("proposal.reason_skipped"))
        return
    if stored.status != "open":
        key = N_("proposal.superseded") if stored.status == "superseded" else N_("proposal.closed")
        await query.answer(tr.t(key, number=proposal_number(stored.number)), show_alert=True)
        return
    if action is ProposalAction.ASK_ACCEPT:
        await _ask_to_confirm(services, context.bot, query, case, stored, user.id, tr)
    elif action is ProposalAction.ACCEPT:
        await _accept(services, context.bot, query, case, stored, user.id, role, tr)
    elif action is ProposalAction.NOT_NOW:
        await query.answer(tr.t("proposal.accept_kept", number=proposal_number(stored.number)))
    elif action is ProposalAction.REJECT:
        await _reject(services, context.bot, query, case, stored, user.id, role, tr)
    else:
        await query.answer()
        await proposal_builder.start(services, context.bot, case, user.id, role, tr, stored.id)


async def ask_to_confirm(
    bot: Bot, user_id: int, text: str, yes: Button, no: Button, query: Any, tr: Translator
) -> None:
    """Ask `user_id` privately to confirm a step that cannot be undone. A press in the shared
    chat is told where the question went; one in the private chat sees it come."""
    await send(bot, user_id, text, keyboard([[yes], [no]]))
    message = query.message
    private = message is not None and message.chat.id == user_id
    await query.answer(None if private else tr.t("confirm.sent_privately"))


async def _ask_to_confirm(
    services: Services,
    bot: Bot,
    query: Any,
    case: Case,
    stored: StoredProposal,
    user_id: int,
    tr: Translator,
) -> None:
    paid, currency = paid_of(case)
    number = proposal_number(stored.number)
    text = tr.t(
        "proposal.confirm_accept",
        number=number,
        case=case_number(case),
        terms=terms_text(Proposal.from_dict(stored.terms), tr, paid, currency),
    )
    yes = (
        tr.t("button.accept_yes", number=number),
        encode(ProposalButton(stored.id, ProposalAction.ACCEPT)),
    )
    no = (tr.t("button.not_now"), encode(ProposalButton(stored.id, ProposalAction.NOT_NOW)))
    await ask_to_confirm(bot, user_id, text, yes, no, query, tr)


async def _accept(
    services: Services,
    bot: Bot,
    query: Any,
    case: Case,
    stored: StoredProposal,
    user_id: int,
    role: Role,
    tr: Translator,
) -> None:
    if await accept_stored(services, bot, case, stored, user_id, role):
        await query.answer(tr.t("proposal.accepted_ack"))
        return
    closed = tr.t("proposal.closed", number=proposal_number(stored.number))
    await query.answer(closed, show_alert=True)


async def accept_stored(
    services: Services, bot: Bot, case: Case, stored: StoredProposal, user_id: int, role: Role
) -> bool:
    """Accept `stored` for `role`: settle the case with its obligations. False when it was no
    longer possible (already decided, superseded, or the case moved on): nothing changed."""
    settlement = await _settlement(services, case, stored.terms, role)
    if settlement is None:
        return False
    try:
        accepted, case, _ = await services.db.proposals.accept(
            stored.id, user_id, role, services.clock.now(), **settlement
        )
    except (Conflict, ConcurrentUpdate, IllegalTransition):
        log.info("accept of proposal %s not applied: already decided", stored.number)
        return False
    log.info("proposal %s accepted; case settled", accepted.number)
    await after_commit(services, bot, step="settled")
    return True


async def _settlement(
    services: Services, case: Case, terms: dict[str, Any], role: Role
) -> dict[str, Any] | None:
    """What accepting `terms` for `role` writes with the acceptance (the case's transition,
    its fulfilment deadline, the obligations, the news), or None when this state takes no
    acceptance."""
    action = ACCEPT_ACTIONS.get(case.state)
    if action is None:
        return None
    now = services.clock.now()
    paid, currency = paid_of(case)
    duties = obligations(
        Proposal.from_dict(terms), paid, currency, now, int(services.settings.fulfilment_days)
    )
    due = max([services.policy.due_at(DeadlineKind.FULFILMENT, now), *(d.due for d in duties)])
    return {
        "action": action,
        "new_deadline": services.deadline(DeadlineKind.FULFILMENT, now, due=due),
        "obligations": [NewObligation.from_rule(d, currency) for d in duties],
        "expected_case_version": case.version,
        # queued with the settlement: a crash cannot lose it
        "news": await settlement.news(services, case, role),
    }


async def settle_with(
    services: Services,
    bot: Bot,
    case: Case,
    proposal: Proposal,
    *,
    author_id: int,
    author_role: Role,
    acceptor_id: int,
    acceptor_role: Role,
    source: str,
) -> bool:
    """Settle on terms both sides already agreed elsewhere (the claim, a blind-bid round):
    the proposal is recorded and accepted in one transaction, so a crash or a refusal never
    leaves it open with nobody asked about it. False (nothing written) when it was no longer
    possible."""
    terms = proposal.to_dict()
    settlement = await _settlement(services, case, terms, acceptor_role)
    if settlement is None:
        return False
    try:
        accepted, case, _ = await services.db.proposals.settle(
            case.id,
            author_id,
            author_role,
            terms,
            acceptor_id,
            acceptor_role,
            services.clock.now(),
            source=source,
            **settlement,
        )
    except (Conflict, ConcurrentUpdate, IllegalTransition):
        log.info("settlement on the %s's terms not applied: the case moved on", source)
        return False
    log.info("proposal %s made and accepted; case settled", accepted.number)
    await after_commit(services, bot, step="settled")
    return True


async def _reject(
    services: Services,
    bot: Bot,
    query: Any,
    case: Case,
    stored: StoredProposal,
    user_id: int,
    role: Role,
    tr: Translator,
) -> None:
    try:
        await services.db.proposals.reject(stored.id, user_id, role, services.clock.now())
    except Conflict:
        await query.answer(
            tr.t("proposal.closed", number=proposal_number(stored.number)), show_alert=True
        )
        return
    await query.answer(tr.t("proposal.rejected_ack", number=proposal_number(stored.number)))
    await to_case(
        services,
        bot,
        case,
        lambda t: t.t(
            "proposal.rejected", number=proposal_number(stored.number), by=role_name(t, role)
        ),
        private_to=[uid for uid in (other_party(case, role),) if uid is not None],
    )
    skip = encode(ProposalButton(stored.id, ProposalAction.SKIP_REASON))
    await proposal_reasons.ask(services, bot, case, stored, user_id, tr, skip)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_decide, pattern=pattern(ProposalButton))]
