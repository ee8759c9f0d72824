"""Structured settlement proposals between the parties: made, shown, accepted or rejected.

A proposal is shown to both parties in their own languages with Accept / Reject / Counter
buttons. Only the other party can accept; a newer proposal supersedes the older ones, whose
buttons then say so. Accepting cannot be undone, so Accept only asks, in the presser's private
chat, with the terms again; "Yes, accept" settles the case in one transaction (proposal, case
state, obligations), so a double press or two parties pressing at once applies once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from telegram import Bot, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.crash import crash_point
from bot.i18n import N_, Translator
from bot.logs import bind_case
from bot.outbox import after_commit
from bot.services import Services
from flows import proposal_reasons
from flows.audience import readers, to_case
from flows.case_context import PARTY_ROLES, case_button
from flows.claim_render import case_number
from flows.common import Button, keyboard, pack
from flows.messaging import clear_buttons, send
from flows.proposal_render import proposal_number, role_name, terms_text
from flows.rules.lifecycle import (
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    Role,
)
from flows.rules.proposals import Proposal, obligations
from storage import (
    Case,
    ConcurrentUpdate,
    Conflict,
    Deadline,
    Move,
    NewDeadline,
    NewObligation,
    OutboxMessage,
)
from storage import Proposal as StoredProposal

log = logging.getLogger(__name__)

DECIDE = "pp"  # pp:<proposal id>:a (ask to confirm) | y (accept) | n (not now) | r | c
# | s (no reason for the rejection: flows/proposal_reasons.py)
ACCEPT_ACTIONS = {
    CaseState.AWAITING_SUPPLIER: Action.SUPPLIER_ACCEPT,
    CaseState.NEGOTIATION: Action.ACCEPT_PROPOSAL,
    CaseState.MEDIATION: Action.MEDIATION_SETTLE,
}

# The deadline a proposal must be accepted by, per stage, and its default outcome.
OPEN_UNTIL_KEYS = {
    DeadlineKind.NEGOTIATION: N_("proposal.open_until_negotiation"),
    DeadlineKind.MEDIATION: N_("proposal.open_until_mediation"),
}


def paid_of(case: Case) -> tuple[Decimal, str]:
    return Decimal(str(case.claim["amount"])), str(case.claim["currency"])


def other_party(case: Case, role: Role) -> int | None:
    return case.supplier_id if role is Role.BUYER else case.buyer_id


async def submit_proposal(
    services: Services,
    bot: Bot,
    case: Case,
    author_id: int,
    role: Role,
    proposal: Proposal,
    *,
    source: str = "party",
    clear_input: tuple[int, int] | None = None,
    author_note: Callable[[StoredProposal], OutboxMessage] | None = None,
) -> StoredProposal:
    """Record a proposal (superseding older ones) and show it to both parties. The supplier's
    counter-proposal to the claim is also their response (the case goes to negotiation), and
    `clear_input` the builder it came from: all of it one transaction, with its news and
    `author_note` (the author's "sent", which names the new proposal)."""
    now = services.clock.now()
    move = None
    if case.state is CaseState.AWAITING_SUPPLIER and role is Role.SUPPLIER:
        move = Move(
            Action.SUPPLIER_RESPOND,
            author_id,
            role,
            reason="supplier made a counter-proposal",
            payload={"response": "counter"},
            new_deadline=services.deadline(
                DeadlineKind.NEGOTIATION, now, filed_at=case.submitted_at
            ),
            expected_version=case.version,
        )
    show = await proposal_news(services, case, role, starts=move.new_deadline if move else None)

    def news(made: StoredProposal) -> list[OutboxMessage]:
        return [*show(made), *([author_note(made)] if author_note is not None else [])]

    stored = await services.db.proposals.create(
        case.id,
        author_id,
        role,
        proposal.to_dict(),
        now,
        source=source,
        news=news,
        move=move,
        clear_input=clear_input,
        before_commit=partial(crash_point, "proposal.in_transaction"),
    )
    log.info("proposal %s made by the %s", stored.number, role)
    await after_commit(services, bot, step="proposed")
    return stored


def decision_rows(stored: StoredProposal) -> Any:
    def rows(tr: Translator) -> list[list[Button]]:
        return [
            [
                (tr.t("button.accept"), pack(DECIDE, stored.id, "a")),
                (tr.t("button.reject"), pack(DECIDE, stored.id, "r")),
            ],
            [(tr.t("button.counter"), pack(DECIDE, stored.id, "c"))],
        ]

    return rows


async def proposal_news(
    services: Services, case: Case, author_role: Role, *, starts: NewDeadline | None = None
) -> Callable[[StoredProposal], list[OutboxMessage]]:
    """The new proposal for the shared chat and the other party, with Accept / Reject /
    Counter; rendered inside the transaction that stores it (the buttons name it), from
    translators loaded here beforehand. `starts`: the deadline the same step starts (a
    counter-proposal to the claim opens negotiation)."""
    paid, currency = paid_of(case)
    # Until when it can be accepted, and what happens if nobody does: the stage's deadline.
    pending: list[NewDeadline | Deadline] = [starts] if starts is not None else []
    pending += await services.db.deadlines.pending_for_case(case.id)
    until = next((d for d in pending if d.kind in OPEN_UNTIL_KEYS), None)
    other = other_party(case, author_role)
    audience = await readers(services, case, private_to=[other] if other is not None else [])

    def render_all(stored: StoredProposal) -> list[OutboxMessage]:
        proposal = Proposal.from_dict(stored.terms)

        def render(tr: Translator) -> str:
            made = tr.t(
                "proposal.made",
                number=proposal_number(stored.number),
                case=case_number(case),
                author=role_name(tr, author_role),
                terms=terms_text(proposal, tr, paid, currency),
                other=role_name(tr, Role.SUPPLIER if author_role is Role.BUYER else Role.BUYER),
            )
            if until is None:
                return made
            due = tr.t(OPEN_UNTIL_KEYS[until.kind], due=tr.datetime(until.due_at))
            return f"{made}\n\n{due}"

        key = f"case:{case.id}:proposal:{stored.id}"
        return audience.render(render, decision_rows(stored), key=key)

    return render_all


async def _load_proposal(services: Services, proposal_id: int) -> StoredProposal | None:
    return await services.db.proposals.get(proposal_id)


async def on_decide(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(
        update, context, PARTY_ROLES, 3, _load_proposal, actions=("a", "y", "n", "r", "c", "s")
    )
    if press is None:
        return
    services, query, user, tr = press.services, press.query, press.user, press.tr
    case, role, stored = press.case, press.role, press.item
    assert isinstance(stored, StoredProposal)
    bind_case(case.id)
    if press.args[0] in ("y", "n", "s") and query.message is not None:
        # A confirmation is answered once, whatever the answer: its buttons go.
        await clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
    if Role(stored.author_role) is role:
        await query.answer(tr.t("proposal.not_yours_to_decide"), show_alert=True)
        return
    if press.args[0] == "s":  # the rejection needs no reason: the proposal is decided anyway
        await proposal_reasons.skip(services, user.id)
        await query.answer(tr.t("proposal.reason_skipped"))
        return
    if stored.status != "open":
        key = N_("proposal.superseded") if stored.status == "superseded" else N_("proposal.closed")
        await query.answer(tr.t(key, number=proposal_number(stored.number)), show_alert=True)
        return
    action = press.args[0]
    if action == "a":
        await _ask_to_confirm(services, context.bot, query, case, stored, user.id, tr)
    elif action == "y":
        await _accept(services, context.bot, query, case, stored, user.id, role, tr)
    elif action == "n":
        await query.answer(tr.t("proposal.accept_kept", number=proposal_number(stored.number)))
    elif action == "r":
        await _reject(services, context.bot, query, case, stored, user.id, role, tr)
    else:
        from flows import proposal_builder

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
    yes = (tr.t("button.accept_yes", number=number), pack(DECIDE, stored.id, "y"))
    no = (tr.t("button.not_now"), pack(DECIDE, stored.id, "n"))
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
    from flows import settlement

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
    skip = pack(DECIDE, stored.id, "s")
    await proposal_reasons.ask(services, bot, case, stored, user_id, tr, skip)


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CallbackQueryHandler(on_decide, pattern=rf"^{DECIDE}:")]
