"""Blind bidding: each side tells the bot privately the figure it can live with.

Either party offers it; it starts only when both opt in. Figures are typed in the private chat,
stored, and shown to nobody: not the other side, not the mediator, not the shared chat. If the
supplier's figure reaches the buyer's, the case settles at the midpoint; if they are within the
configured gap, both are offered the midpoint; otherwise nothing is revealed and another round
may follow (three at most).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from flows import inputs
from flows.audience import for_case, for_user, parties, to_case, to_user
from flows.buttons import BidChoice, BidJoin, Midpoint, YesNo
from flows.callbacks import encode, pattern
from flows.case_context import PARTY_ROLES, case_button, resolve
from flows.claim_render import case_number
from flows.common import Button
from flows.logs import bind_case
from flows.messaging import send
from flows.outbox import after_commit
from flows.proposal_render import role_name
from flows.proposal_submit import paid_of
from flows.proposals import ACCEPT_ACTIONS, settle_with
from flows.rules import validation as v
from flows.rules.blind_bid import BidOutcome, BlindBidPolicy, check_bid, match
from flows.rules.lifecycle import CaseState, DeadlineKind, Role
from flows.rules.proposals import PartialRefund, Proposal
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, Conflict, NotFound, OutboxMessage, PendingInput, User

log = logging.getLogger(__name__)

BID = "bid"
BIDDING_STATES = frozenset({CaseState.NEGOTIATION, CaseState.MEDIATION})
ASK_KEYS = {Role.BUYER: N_("bids.ask_buyer"), Role.SUPPLIER: N_("bids.ask_supplier")}
# The midpoint offer by the deadline its answer is due with: each names what follows if the
# parties do not both accept by then (that deadline's default outcome).
MIDPOINT_KEYS = {
    DeadlineKind.NEGOTIATION: N_("bids.midpoint_offer"),
    DeadlineKind.MEDIATOR_ASSIGNMENT: N_("bids.midpoint_offer_assignment"),
    DeadlineKind.MEDIATION: N_("bids.midpoint_offer_mediation"),
}


def _policy(services: Services) -> BlindBidPolicy:
    return BlindBidPolicy(
        gap_fraction=Decimal(str(services.settings.blind_bid_gap_percent)) / 100,
        max_rounds=services.settings.blind_bid_rounds,
    )


def _other(role: Role) -> Role:
    return Role.SUPPLIER if role is Role.BUYER else Role.BUYER


def _id_of(case: Case, role: Role) -> int | None:
    return case.buyer_id if role is Role.BUYER else case.supplier_id


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/blindbid [case]: offer blind bidding to the other side."""
    services = get_services(context)
    caller = await resolve(services, update, context.args)
    if caller is None:
        return
    case, role, tr = caller.case, caller.role, caller.tr
    if case.state not in BIDDING_STATES or role not in (Role.BUYER, Role.SUPPLIER):
        await send(context.bot, caller.user.id, tr.t("bids.not_now", number=case_number(case)))
        return
    current = await services.db.bids.get(case.id)
    if current is not None and current.status in ("active", "settled", "exhausted"):
        await send(context.bot, caller.user.id, tr.t("bids.already", number=case_number(case)))
        return
    await services.db.bids.offer(
        case.id, role, services.clock.now(), max_rounds=_policy(services).max_rounds
    )
    other = _id_of(case, _other(role))

    def rows(t: Translator) -> list[list[Button]]:
        return [
            [
                (t.t("button.bids_join"), encode(BidJoin(case.id, BidChoice.JOIN))),
                (t.t("button.bids_decline"), encode(BidJoin(case.id, BidChoice.DECLINE))),
            ]
        ]

    max_rounds = _policy(services).max_rounds
    await to_case(
        services,
        context.bot,
        case,
        lambda t: t.t(
            "bids.offered", number=case_number(case), by=role_name(t, role), rounds=max_rounds
        ),
        rows,
        private_to=[other] if other is not None else [],
    )
    await send(context.bot, caller.user.id, tr.t("bids.offer_sent", number=case_number(case)))


async def on_join(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, BidJoin, PARTY_ROLES)
    if press is None:
        return
    services, query, tr = press.services, press.query, press.tr
    case, role, choice = press.case, press.role, press.data.choice
    bind_case(case.id)
    now = services.clock.now()
    try:
        if choice is BidChoice.DECLINE:
            offered = await services.db.bids.get(case.id)
            news = await for_case(
                services,
                case,
                lambda t: t.t("bids.declined", number=case_number(case), by=role_name(t, role)),
                key=f"case:{case.id}:bids_declined:{offered.updated_at if offered else ''}",
            )
            await services.db.bids.decline(case.id, role, now, outbox=news)
            await query.answer()
            await after_commit(services, context.bot)
            return
        if choice is BidChoice.AGAIN:
            round_ = await services.db.bids.start_next_round(
                case.id, now, _policy(services).max_rounds
            )
            await query.answer()
            await _ask_both(services, context.bot, case, round_.round_no)
            return
        bidding = await services.db.bids.opt_in(
            case.id, role, now, max_rounds=_policy(services).max_rounds
        )
    except Conflict:
        await query.answer(tr.t("callback.stale"), show_alert=True)
        return
    await query.answer()
    if bidding.status == "active":
        current = await services.db.bids.current_round(case.id)
        assert current is not None
        round_no = current.round_no
        await to_case(
            services,
            context.bot,
            case,
            lambda t: t.t("bids.started", number=case_number(case), round=round_no),
        )
        await _ask_both(services, context.bot, case, round_no)


def ask_render(case: Case, role: Role, round_no: int) -> Callable[[Translator], str]:
    """The private prompt for `role`'s figure in round `round_no` (also shown again by /case)."""
    paid, currency = paid_of(case)
    return _ask(ASK_KEYS[role], round_no, paid, currency)


def _ask(key: str, round_no: int, paid: Decimal, currency: str) -> Callable[[Translator], str]:
    def render(t: Translator) -> str:
        return t.t(key, round=round_no, currency=currency, paid=t.money(paid, currency))

    return render


async def _ask_both(services: Services, bot: Bot, case: Case, round_no: int) -> None:
    paid, currency = paid_of(case)
    for role in (Role.BUYER, Role.SUPPLIER):
        user_id = _id_of(case, role)
        if user_id is None:
            continue
        await services.db.inputs.put(
            user_id,
            user_id,
            BID,
            case.id,
            str(round_no),
            {"round": round_no},
            services.clock.now(),
        )
        await to_user(
            services,
            bot,
            case,
            user_id,
            _ask(ASK_KEYS[role], round_no, paid, currency),
        )


async def on_bid(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """A figure typed in the private chat: stored, acknowledged, never repeated."""
    if message.text is None:
        raise v.ValidationError("answer.expected_text")
    case = await services.db.cases.get(pending.case_id)
    role = await services.db.cases.role_of(pending.case_id, user.id)
    assert case is not None and role in (Role.BUYER, Role.SUPPLIER)
    if case.state not in BIDDING_STATES:  # settled or escalated meanwhile
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, tr.t("bids.not_now", number=case_number(case)))
        return
    paid, currency = paid_of(case)
    amount = check_bid(v.parse_amount(message.text, currency), paid, currency)
    round_no = int(pending.data["round"])
    now = services.clock.now()
    try:
        _, both_in = await services.db.bids.place_bid(case.id, round_no, role, amount, now)
    except Conflict:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, tr.t("bids.already_bid"))
        return
    await services.db.inputs.clear(user.id, user.id)
    await send(context.bot, user.id, tr.t("bids.recorded", round=round_no))
    if both_in:
        await _resolve(services, context.bot, case, round_no)


async def _resolve(services: Services, bot: Bot, case: Case, round_no: int) -> None:
    paid, currency = paid_of(case)
    policy = _policy(services)
    buyer_min, supplier_max = await services.db.bids._figures(case.id, round_no)
    assert buyer_min is not None and supplier_max is not None
    result = match(buyer_min, supplier_max, paid, currency, policy)
    now = services.clock.now()
    news: list[OutboxMessage] = []
    if result.kind is not BidOutcome.SETTLED:  # a settlement tells of itself (settle_with)
        news = await _round_news(services, case, round_no, result.kind, result.amount, currency)
    await services.db.bids.resolve(
        case.id,
        round_no,
        str(result.kind),
        result.amount,
        now,
        max_rounds=policy.max_rounds,
        outbox=news,
    )
    log.info("blind bidding round %s: %s", round_no, result.kind)
    if result.kind is BidOutcome.SETTLED:
        assert result.amount is not None
        await _settle(services, bot, case, result.amount)
        return
    await after_commit(services, bot)


async def _round_news(
    services: Services,
    case: Case,
    round_no: int,
    kind: BidOutcome,
    midpoint: Decimal | None,
    currency: str,
) -> list[OutboxMessage]:
    """What a round that did not settle tells: the midpoint offer to each party, or no overlap
    (with a new round, while rounds are left), rendered before the round's transaction."""
    key = f"case:{case.id}:bids_round:{round_no}"
    if kind is BidOutcome.OFFER_MIDPOINT:
        assert midpoint is not None
        amount = midpoint

        def rows(t: Translator) -> list[list[Button]]:
            return [
                [
                    (t.t("button.accept_midpoint"), encode(Midpoint(case.id, round_no, YesNo.YES))),
                    (t.t("button.decline_midpoint"), encode(Midpoint(case.id, round_no, YesNo.NO))),
                ]
            ]

        # The offer has no clock of its own: the answer is due by the case's deadline, whose
        # default outcome (mediation, arbitration) is what follows if nobody accepts.
        offer, due = await _answer_due(services, case)
        return [
            await for_user(
                services,
                case,
                user_id,
                lambda t: t.t(offer, amount=t.money(amount, currency), due=t.datetime(due)),
                rows,
                key=key,
            )
            for user_id in (case.buyer_id, case.supplier_id)
            if user_id is not None
        ]
    bidding = await services.db.bids.get(case.id)
    left = _policy(services).max_rounds - ((bidding.rounds_done if bidding else 0) + 1)
    if left <= 0:
        return await for_case(
            services,
            case,
            lambda t: t.t("bids.exhausted", number=case_number(case)),
            key=key,
            private_to=parties(case),
        )

    def again(t: Translator) -> list[list[Button]]:
        return [[(t.t("button.bid_again"), encode(BidJoin(case.id, BidChoice.AGAIN)))]]

    return await for_case(
        services,
        case,
        lambda t: t.t("bids.no_overlap", round=round_no, left=left),
        again,
        key=key,
        private_to=parties(case),
    )


async def _answer_due(services: Services, case: Case) -> tuple[str, datetime]:
    """The midpoint offer's wording and the time its answer is due: the case's own deadline."""
    deadline = await services.db.deadlines.next_for_case(case.id)
    if deadline is not None and deadline.kind in MIDPOINT_KEYS:
        return MIDPOINT_KEYS[deadline.kind], deadline.due_at
    # A case in bidding always has one of those deadlines; should it not, the offer still
    # names a time: when a mediator would be assigned if the case went to mediation now.
    log.warning("midpoint offer without a negotiation or mediation deadline: %s", deadline)
    due = services.policy.due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, services.clock.now())
    return MIDPOINT_KEYS[DeadlineKind.MEDIATOR_ASSIGNMENT], due


async def _no_agreement(services: Services, bot: Bot, case: Case, round_no: int) -> None:
    bidding = await services.db.bids.get(case.id)
    left = _policy(services).max_rounds - (bidding.rounds_done if bidding else round_no)
    if left <= 0:
        await to_case(
            services,
            bot,
            case,
            lambda t: t.t("bids.exhausted", number=case_number(case)),
            private_to=parties(case),
        )
        return

    def rows(t: Translator) -> list[list[Button]]:
        return [[(t.t("button.bid_again"), encode(BidJoin(case.id, BidChoice.AGAIN)))]]

    await to_case(
        services,
        bot,
        case,
        lambda t: t.t("bids.no_overlap", round=round_no, left=left),
        rows,
        private_to=parties(case),
    )


async def on_midpoint(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    press = await case_button(update, context, Midpoint, PARTY_ROLES)
    if press is None:
        return
    services, query, tr = press.services, press.query, press.tr
    case, role, round_no = press.case, press.role, press.data.round_no
    try:
        round_ = await services.db.bids.answer_midpoint(
            case.id,
            round_no,
            role,
            press.data.answer is YesNo.YES,
            services.clock.now(),
            max_rounds=_policy(services).max_rounds,
        )
    except NotFound:  # no such round: the bot never offered this midpoint
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    except Conflict:
        await query.answer(tr.t("callback.stale"), show_alert=True)
        return
    await query.answer(tr.t("bids.answer_recorded"))
    if round_.status == "midpoint_accepted" and round_.midpoint is not None:
        await _settle(services, context.bot, case, round_.midpoint)
    elif round_.status == "midpoint_declined":
        await _no_agreement(services, context.bot, case, round_no)


async def _settle(services: Services, bot: Bot, case: Case, amount: Decimal) -> None:
    """Settle at `amount`: recorded as the supplier's refund, accepted by the buyer."""
    case = await services.db.cases.get(case.id) or case
    if case.supplier_id is None or case.state not in ACCEPT_ACTIONS:
        return
    proposal = Proposal((PartialRefund(amount=amount),))
    await settle_with(
        services,
        bot,
        case,
        proposal,
        author_id=case.supplier_id,
        author_role=Role.SUPPLIER,
        acceptor_id=case.buyer_id,
        acceptor_role=Role.BUYER,
        source="blind_bid",
    )


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {BID: on_bid}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("blindbid", on_command),
        CallbackQueryHandler(on_join, pattern=pattern(BidJoin)),
        CallbackQueryHandler(on_midpoint, pattern=pattern(Midpoint)),
    ]
