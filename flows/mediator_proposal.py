"""The mediator's settlement proposal: made with the parties' builder, accepted by both parties.

The case's own mediator proposes in mediation with `/propose <case number>` in their private
chat (the builder of `flows/proposal_builder.py`; role MEDIATOR is only ever the case's own
mediator, checked on the server by `CaseRepo.role_of`), or from the mediator's panel through
`start_mediator_proposal`. It is an ordinary proposal (P-numbered in the case's sequence,
author_role "mediator") and supersedes an open party proposal as a counter-proposal does.

Each party answers it with Accept (asked to confirm privately) or Reject; there is no Counter:
while it is open the parties make no proposal of their own, and a party who wants other terms
rejects it (then either may propose again). The first acceptance is recorded and announced,
the other party reminded; the second settles the case (MEDIATION_SETTLE, obligations as any
settlement), all in `MediatorProposalRepo.accept_as_party`'s one transaction. The mediator is
told of each answer privately.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from telegram import Bot, CallbackQuery, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from flows import proposal_builder, proposal_reasons, settlement
from flows.audience import for_user, to_case
from flows.buttons import ProposalAction, ProposalButton
from flows.callbacks import (
    Callback,
    MediatorProposalAccept,
    MediatorProposalConfirm,
    MediatorProposalKeep,
    MediatorProposalReject,
    ProposeSettlement,
    decode,
    encode,
    pattern,
)
from flows.case_context import party_of
from flows.claim_render import case_number
from flows.logs import bind_case
from flows.mediator_panel import mediator_press
from flows.mediator_proposal_news import PARTY_ROLES, accepted_roles, first_news, other_role
from flows.messaging import clear_buttons, send
from flows.outbox import after_commit
from flows.proposal_render import proposal_number, role_name, terms_text
from flows.proposal_submit import paid_of
from flows.proposals import ask_to_confirm
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, IllegalTransition, Role
from flows.rules.proposals import Proposal, obligations
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import (
    Case,
    ConcurrentUpdate,
    Conflict,
    NewObligation,
    NotFound,
    Obligation,
    OutboxMessage,
    User,
)
from storage import Proposal as StoredProposal
from storage.repos.mediator_proposals import AcceptOutcome

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Callback)


async def start_mediator_proposal(
    services: Services, bot: Bot, case: Case, mediator_id: int
) -> None:
    """Open the proposal builder for the case's mediator (the panel's "Propose a settlement").
    Anyone else is told the case is not theirs; a case out of mediation, that no proposal can
    be made now."""
    case = await services.db.cases.get(case.id) or case
    bind_case(case.id)
    tr = await services.translator_for_id(mediator_id)
    if case.mediator_id is None or case.mediator_id != mediator_id:
        await send(bot, mediator_id, tr.t("pool.not_your_case", number=case_number(case)))
        return
    await proposal_builder.start(services, bot, case, mediator_id, Role.MEDIATOR, tr)


class Press:
    """A party's press on a mediator's proposal, checked: the proposal, its case, the role."""

    def __init__(
        self,
        services: Services,
        query: CallbackQuery,
        user: User,
        tr: Translator,
        case: Case,
        role: Role,
        stored: StoredProposal,
    ) -> None:
        self.services, self.query, self.user, self.tr = services, query, user, tr
        self.case, self.role, self.stored = case, role, stored

    @property
    def number(self) -> str:
        return proposal_number(self.stored.number)


async def _press(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: type[K]) -> Press | None:
    """The press, or None after answering it: only a party of the proposal's case presses a
    mediator's proposal; data the bot did not make gets the same refusal."""
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, kind)
    proposal_id = getattr(data, "proposal_id", None) if data is not None else None
    stored = await services.db.proposals.get(proposal_id) if proposal_id is not None else None
    found = await party_of(services, stored.case_id, user.id) if stored is not None else None
    if (
        stored is None
        or found is None
        or found[1] not in PARTY_ROLES
        or stored.author_role is not Role.MEDIATOR
    ):
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return None
    return Press(services, query, user, tr, found[0], found[1], stored)


async def _still_open(press: Press) -> bool:
    """Whether the proposal can still be answered by this party; if not, says why."""
    stored, tr = press.stored, press.tr
    if stored.status != "open" or press.case.state is not CaseState.MEDIATION:
        superseded = stored.status == "superseded"
        key = N_("proposal.superseded") if superseded else N_("proposal.closed")
        await press.query.answer(tr.t(key, number=press.number), show_alert=True)
        return False
    if press.role in await accepted_roles(press.services, stored.id):
        await _already(press)
        return False
    return True


async def _already(press: Press) -> None:
    other = role_name(press.tr, other_role(press.role))
    text = press.tr.t("mproposal.already_accepted", number=press.number, other=other)
    await press.query.answer(text, show_alert=True)


async def on_accept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Accept: the terms again, privately, with "Yes, accept" / "Not now"."""
    press = await _press(update, context, MediatorProposalAccept)
    if press is None or not await _still_open(press):
        return
    tr, case = press.tr, press.case
    paid, currency = paid_of(case)
    text = tr.t(
        "mproposal.confirm_accept",
        number=press.number,
        case=case_number(case),
        terms=terms_text(Proposal.from_dict(press.stored.terms), tr, paid, currency),
        other=role_name(tr, other_role(press.role)),
    )
    yes = (
        tr.t("button.accept_yes", number=press.number),
        encode(MediatorProposalConfirm(press.stored.id)),
    )
    no = (tr.t("button.not_now"), encode(MediatorProposalKeep(press.stored.id)))
    await ask_to_confirm(context.bot, press.user.id, text, yes, no, press.query, tr)


async def on_keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await _press(update, context, MediatorProposalKeep)
    if press is None:
        return
    await _clear_question(context.bot, press)
    await press.query.answer(press.tr.t("proposal.accept_kept", number=press.number))


async def _clear_question(bot: Bot, press: Press) -> None:
    """A confirmation is answered once, whatever the answer: its buttons go."""
    message = press.query.message
    if message is not None:
        await clear_buttons(bot, message.chat.id, message.message_id)


async def on_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Yes, accept": the party's acceptance; the second one settles the case."""
    press = await _press(update, context, MediatorProposalConfirm)
    if press is None:
        return
    await _clear_question(context.bot, press)
    if not await _still_open(press):
        return
    services, case, role, stored, tr = (
        press.services,
        press.case,
        press.role,
        press.stored,
        press.tr,
    )
    bind_case(case.id)
    try:
        done = await services.db.mediator_proposals.accept_as_party(
            stored.id,
            press.user.id,
            role,
            services.clock.now(),
            **await _settlement(services, case, stored, role),
        )
    except (Conflict, ConcurrentUpdate, IllegalTransition, NotFound):
        log.info("acceptance of mediator's proposal %s not applied", stored.number)
        await press.query.answer(tr.t("proposal.closed", number=press.number), show_alert=True)
        return
    if done.outcome is AcceptOutcome.ALREADY:
        await _already(press)
        return
    other = role_name(tr, other_role(role))
    if done.outcome is AcceptOutcome.RECORDED:
        log.info("mediator's proposal %s accepted by the %s; waiting", stored.number, role)
        text = tr.t("mproposal.accepted_wait", number=press.number, other=other)
    else:
        log.info("mediator's proposal %s accepted by both; case settled", stored.number)
        text = tr.t("proposal.accepted_ack")
    await press.query.answer(text)
    await after_commit(services, context.bot, step="mediator_proposal")


async def _settlement(
    services: Services, case: Case, stored: StoredProposal, role: Role
) -> dict[str, Any]:
    """What the acceptance writes: the first party's news, or (the second party's) the
    settlement: transition, fulfilment deadline, obligations and their news, the mediator's
    note among them. Both are rendered now; the store decides under the case lock which
    applies."""
    now = services.clock.now()
    paid, currency = paid_of(case)
    duties = obligations(
        Proposal.from_dict(stored.terms),
        paid,
        currency,
        now,
        int(services.settings.fulfilment_days),
    )
    due = max([services.policy.due_at(DeadlineKind.FULFILMENT, now), *(d.due for d in duties)])
    first = await first_news(services, case, stored, role)
    settled = await settlement.news(services, case, role)
    note = await _mediator_note(services, case, stored)

    def news(accepted: StoredProposal, created: list[Obligation]) -> list[OutboxMessage]:
        return [*settled(accepted, created), *note]

    return {
        "first_news": lambda _made: first,
        "action": Action.MEDIATION_SETTLE,
        "new_deadline": services.deadline(DeadlineKind.FULFILMENT, now, due=due),
        "obligations": [NewObligation.from_rule(d, currency) for d in duties],
        "news": news,
    }


async def _mediator_note(
    services: Services, case: Case, stored: StoredProposal
) -> list[OutboxMessage]:
    """The mediator's private word that both parties accepted their proposal."""
    if case.mediator_id is None:
        return []

    def render(tr: Translator) -> str:
        return tr.t(
            "mproposal.settled_mediator",
            number=proposal_number(stored.number),
            case=case_number(case),
        )

    key = f"case:{case.id}:proposal:{stored.id}:settled_mediator"
    return [await for_user(services, case, case.mediator_id, render, key=key)]


async def on_reject(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reject: the proposal ends; the other party and the mediator are told, and the rejecting
    party is asked why (as for a party's proposal)."""
    press = await _press(update, context, MediatorProposalReject)
    if press is None or not await _still_open(press):
        return
    services, case, role, stored, tr = (
        press.services,
        press.case,
        press.role,
        press.stored,
        press.tr,
    )
    bind_case(case.id)
    try:
        await services.db.proposals.reject(stored.id, press.user.id, role, services.clock.now())
    except (Conflict, NotFound):
        await press.query.answer(tr.t("proposal.closed", number=press.number), show_alert=True)
        return
    await press.query.answer(tr.t("proposal.rejected_ack", number=press.number))
    other = case.supplier_id if role is Role.BUYER else case.buyer_id
    told = [uid for uid in (other, case.mediator_id) if uid is not None]

    def rejected(t: Translator) -> str:
        return t.t("mproposal.rejected", number=press.number, by=role_name(t, role))

    await to_case(services, context.bot, case, rejected, private_to=told)
    # The proposals' own Skip: it only clears the question.
    skip = encode(ProposalButton(stored.id, ProposalAction.SKIP_REASON))
    await proposal_reasons.ask(services, context.bot, case, stored, press.user.id, tr, skip)


async def on_propose_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The panel's "Propose a settlement": the case's own mediator, in mediation."""
    pressed = await mediator_press(update, context, ProposeSettlement, {CaseState.MEDIATION})
    if pressed is None:
        return
    press, _data = pressed
    await press.query.answer()
    await start_mediator_proposal(press.services, context.bot, press.case, press.user.id)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_propose_button, pattern=pattern(ProposeSettlement)),
        CallbackQueryHandler(on_accept, pattern=pattern(MediatorProposalAccept)),
        CallbackQueryHandler(on_confirm, pattern=pattern(MediatorProposalConfirm)),
        CallbackQueryHandler(on_keep, pattern=pattern(MediatorProposalKeep)),
        CallbackQueryHandler(on_reject, pattern=pattern(MediatorProposalReject)),
    ]
