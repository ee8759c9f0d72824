"""What a party can do in a case now, offered again as buttons by /case.

No step of a case may depend on one message having arrived: a notice lost on the way (a send
that failed, a message deleted, a bot killed between the commit and the send) must never leave
a party without the button that moves the case on. So /case rebuilds, from the database alone,
every action open to its reader by role and state: the ways into the dispute chat, the
supplier's invitation or replacement, the supplier's answer to the claim, the open proposal
addressed to the reader, their obligations to mark done or the other side's to confirm, a
blind-bidding step waiting for them, asking for a mediator and withdrawing; a mediator's open
proposal to each party who has not answered it.

Each button carries the same callback data as the message it stands in for, so the handler
that answers it is the one that answers the original, with all its server-side checks (role,
state, superseded proposals); nothing here decides anything.
"""

from __future__ import annotations

from telegram import Bot

from flows import (
    chat_links,
    dispute_chat,
    evidence_confirm,
    mediator_proposal_news,
    supplier_replace,
)
from flows.blind_bidding import ask_render
from flows.buttons import (
    BidChoice,
    BidJoin,
    FulfilAction,
    FulfilButton,
    Midpoint,
    YesNo,
)
from flows.callbacks import encode
from flows.case_context import OPEN_STATES
from flows.common import Button
from flows.escalation import may_request_mediation, may_withdraw, mediator_button, withdraw_button
from flows.proposal_render import obligation_number, proposal_number, role_name, terms_text
from flows.proposal_submit import decision_rows, paid_of
from flows.rules.lifecycle import CaseState, Role
from flows.rules.proposals import Proposal
from flows.services import Services
from flows.settlement import FULFILMENT_STATES
from flows.supplier_answer import answer_rows
from flows.supplier_invite import invite_button
from locales.i18n import Translator
from storage import BiddingStatus, Case, ChatStatus, ObligationStatus, RoundStatus


class Actions:
    """The notes (text) and buttons (rows) of what the reader can do now."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.rows: list[list[Button]] = []


async def actions_for(
    services: Services, bot: Bot, case: Case, user_id: int, role: Role, tr: Translator
) -> Actions:
    """Everything `user_id` (a party in `role`) can do in `case` now."""
    found = Actions()
    if case.state not in OPEN_STATES:
        return found
    await _ways_in(services, bot, case, user_id, tr, found)
    if case.state is CaseState.AWAITING_SUPPLIER and role is Role.SUPPLIER:
        found.rows.extend(answer_rows(tr, case.id))
    await _proposal(services, case, role, tr, found)
    await _obligations(services, case, role, tr, found)
    await _bidding(services, case, role, tr, found)
    for item in await evidence_confirm.open_answers(services, case.id, role):
        found.rows.append(evidence_confirm.answer_row(tr, case.id, item.number))
    if may_request_mediation(services, case, role):
        found.rows.append([mediator_button(tr, case.id)])
    if may_withdraw(services, case, role):
        found.rows.append([withdraw_button(tr, case.id)])
    return found


async def _ways_in(
    services: Services, bot: Bot, case: Case, user_id: int, tr: Translator, found: Actions
) -> None:
    """Into the dispute chat (or, for the buyer, making it), and the supplier's invitation."""
    chat = await services.db.chats.for_case(case.id)
    if chat is not None and chat.status == ChatStatus.BOUND:
        found.rows.append([chat_links.link_button(tr, case.id)])
    elif user_id == case.buyer_id:
        link = await dispute_chat.group_link(services, bot, case)
        found.rows.append([(tr.t("button.create_chat"), link)])
    if user_id == case.buyer_id and case.state is CaseState.AWAITING_SUPPLIER:
        if case.supplier_id is None:
            found.rows.append([invite_button(tr, case.id)])
        else:
            found.rows.append([supplier_replace.replace_button(tr, case.id, case.supplier_id)])


async def _proposal(
    services: Services, case: Case, role: Role, tr: Translator, found: Actions
) -> None:
    """The open proposal the other side made: its terms, and Accept / Reject / Counter."""
    stored = await services.db.proposals.open_for_case(case.id)
    if stored is None or Role(stored.author_role) is role:
        return
    if Role(stored.author_role) is Role.MEDIATOR:  # Accept / Reject, until this party answered
        offered = await mediator_proposal_news.case_rows(services, case, role, tr, stored)
        if offered is not None:
            found.notes.append(offered[0])
            found.rows.extend(offered[1])
        return
    paid, currency = paid_of(case)
    terms = terms_text(Proposal.from_dict(stored.terms), tr, paid, currency)
    found.notes.append(
        tr.t(
            "case.open_proposal",
            number=proposal_number(stored.number),
            author=role_name(tr, Role(stored.author_role)),
            terms=terms,
        )
    )
    found.rows.extend(decision_rows(stored)(tr))


async def _obligations(
    services: Services, case: Case, role: Role, tr: Translator, found: Actions
) -> None:
    """The reader's own obligations still to do, and the other side's done ones to confirm."""
    if case.state not in FULFILMENT_STATES:
        return
    for duty in await services.db.obligations.list(case.id):
        number = obligation_number(duty.number)
        mine = Role(duty.party_role) is role
        if mine and duty.status in (ObligationStatus.PENDING, ObligationStatus.DISPUTED):
            found.rows.append(
                [
                    (
                        tr.t("button.mark_done", number=number),
                        encode(FulfilButton(duty.id, FulfilAction.DONE)),
                    )
                ]
            )
        elif not mine and duty.status == ObligationStatus.DONE:
            found.rows.append(
                [
                    (
                        tr.t("button.confirm_numbered", number=number),
                        encode(FulfilButton(duty.id, FulfilAction.CONFIRM)),
                    ),
                    (
                        tr.t("button.not_done_numbered", number=number),
                        encode(FulfilButton(duty.id, FulfilAction.NOT_DONE)),
                    ),
                ]
            )


async def _bidding(
    services: Services, case: Case, role: Role, tr: Translator, found: Actions
) -> None:
    """A blind-bidding step waiting for the reader: opting in, their figure, the midpoint, the
    next round."""
    bidding = await services.db.bids.get(case.id)
    if bidding is None:
        return
    if bidding.status == BiddingStatus.OFFERED and Role(bidding.offered_by_role) is not role:
        found.rows.append(
            [
                (tr.t("button.bids_join"), encode(BidJoin(case.id, BidChoice.JOIN))),
                (tr.t("button.bids_decline"), encode(BidJoin(case.id, BidChoice.DECLINE))),
            ]
        )
        return
    if bidding.status != BiddingStatus.ACTIVE:
        return
    current = await services.db.bids.current_round(case.id)
    if current is None:
        return
    if current.status in RoundStatus.FINISHED:
        # No agreement in that round: either side may start the next, while rounds are left.
        if bidding.rounds_done < services.settings.blind_bid_rounds:
            found.rows.append(
                [(tr.t("button.bid_again"), encode(BidJoin(case.id, BidChoice.AGAIN)))]
            )
    elif current.status == RoundStatus.COLLECTING and role in current.waiting_for():
        # The figure is typed, not pressed: the prompt says what to type (the pending input
        # that takes it was stored with the round).
        found.notes.append(ask_render(case, role, current.round_no)(tr))
    elif current.status == RoundStatus.OFFER_MIDPOINT:
        answer = (
            current.buyer_midpoint_answer
            if role is Role.BUYER
            else current.supplier_midpoint_answer
        )
        if answer is None:
            round_no = current.round_no
            found.rows.append(
                [
                    (
                        tr.t("button.accept_midpoint"),
                        encode(Midpoint(case.id, round_no, YesNo.YES)),
                    ),
                    (
                        tr.t("button.decline_midpoint"),
                        encode(Midpoint(case.id, round_no, YesNo.NO)),
                    ),
                ]
            )
