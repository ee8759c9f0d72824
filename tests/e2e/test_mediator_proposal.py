"""The mediator's settlement proposal end to end: the case's mediator proposes with the builder;
both parties must accept it (the first acceptance is announced and the other party reminded,
the second settles the case, fulfilment as usual); a rejection ends it; only the case's own
mediator proposes, and while it is open the parties answer it before proposing themselves.

The English buyer and the Chinese supplier of `open_case`; mediators Li (Chinese) and Maria
(English) in the staff chat of `test_mediator_pool`; Maria takes the case. The clock moves;
nothing sleeps.
"""

from __future__ import annotations

from decimal import Decimal

from bot.demo_dispute import accept_proposal, fulfil_with_receipt
from bot.sandbox import Sandbox, SandboxUser
from flows.callbacks import MediatorProposalConfirm, encode
from flows.clock import FrozenClock
from flows.mediator_proposal import start_mediator_proposal
from flows.proposal_render import terms_text
from flows.rules.lifecycle import CaseState, DeadlineKind
from flows.rules.proposals import PartialRefund, Proposal
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, eventually, press_data, translator
from tests.e2e.dispute_steps import Case, containing, saying, showing
from tests.e2e.test_mediator_pool import _escalated, _mediator, _staff
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat with Li, Maria

PAID = Decimal("4250")
OFFER = Decimal("1500")


async def _taken_by_maria(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> tuple[Case, SandboxUser, Translator]:
    case = await _escalated(bot, sandbox, catalogs, clock)
    maria = _mediator(sandbox, "Maria")
    mtr = translator(catalogs, maria)
    take = " / ".join(
        t.t("button.take_case") for t in (mtr, translator(catalogs, _mediator(sandbox, "Li")))
    )
    staff = _staff(sandbox)
    await maria.wait_for(lambda e: take in e.button_texts, chat=staff)
    await maria.press(take, staff)
    await maria.wait_for(containing(mtr.t("card.title", number=case.number)))
    return case, maria, mtr


def _terms(tr: Translator) -> str:
    return terms_text(Proposal((PartialRefund(amount=OFFER),)), tr, PAID, "USD")


def _made(tr: Translator, case: Case) -> str:
    return tr.t("mproposal.made", number="P1", case=case.number, terms=_terms(tr))


async def _until(bot: BotHarness, case: Case, tr: Translator) -> str:
    pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
    [mediation] = [d for d in pending if d.kind is DeadlineKind.MEDIATION]
    return tr.t("mproposal.open_until", due=tr.datetime(mediation.due_at))


async def _propose(bot: BotHarness, case: Case, maria: SandboxUser, mtr: Translator) -> None:
    """Maria proposes a refund of 1,500 USD with the builder; both parties and the chat see it,
    each in their language, with until when and what happens if they do not both accept."""
    await maria.send(f"/propose {case.filed_number}")
    await maria.wait_for(showing(mtr.t("outcome.partial_refund")))
    await maria.press(mtr.t("outcome.partial_refund"))
    await maria.wait_for(saying(mtr.t("builder.ask.partial", currency="USD")))
    await maria.send("1500")
    await maria.wait_for(showing(mtr.t("button.send_proposal")))
    await maria.press(mtr.t("button.send_proposal"))
    await maria.wait_for(saying(mtr.t("builder.sent", number="P1")))
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        until = await _until(bot, case, tr)
        shown = await user.wait_for(saying(f"{_made(tr, case)}\n\n{until}"))
        assert tr.t("button.accept") in shown.button_texts
        assert tr.t("button.counter") not in shown.button_texts  # answered, not countered
    both = await case.buyer.wait_for(
        lambda e: _made(case.btr, case) in e.text and _made(case.str_, case) in e.text,
        chat=case.group,
    )
    assert case.both("button.accept") in both.button_texts
    [stored] = await bot.services.db.proposals.list(case.case_id)
    assert (stored.number, stored.author_role, stored.source) == (1, "mediator", "mediator")


async def test_a_mediators_proposal_accepted_by_both_settles_the_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _taken_by_maria(bot, sandbox, catalogs, clock)
    await _propose(bot, case, maria, mtr)
    btr, str_ = case.btr, case.str_

    answer = await accept_proposal(case.buyer, btr, "P1")
    assert answer.text == btr.t(
        "mproposal.accepted_wait", number="P1", other=btr.t("role.supplier")
    )
    assert await case.state() is CaseState.MEDIATION
    # The mediator is told privately; the supplier is reminded, with the buttons.
    await maria.wait_for(
        containing(
            mtr.t(
                "mproposal.accepted_one",
                number="P1",
                case=case.number,
                by=mtr.t("role.buyer"),
                other=mtr.t("role.supplier"),
            )
        )
    )
    turn = str_.t("mproposal.your_turn", number="P1", case=case.number, by=str_.t("role.buyer"))
    reminder = await case.supplier.wait_for(containing(turn))
    assert str_.t("button.accept") in reminder.button_texts
    # The buyer, who answered, has no Accept left on their own copy.
    made = next(e for e in case.buyer.transcript() if e.from_bot and _made(btr, case) in e.text)

    async def taken_off() -> bool:
        return not case.buyer.private_chat.messages[made.message_id].message.get("reply_markup")

    await eventually(taken_off)

    answer = await accept_proposal(case.supplier, str_, "P1", message=reminder.message_id)
    assert answer.text == str_.t("proposal.accepted_ack")
    assert await case.state() is CaseState.SETTLED
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.amount == OFFER and duty.party_role == "supplier"
    await maria.wait_for(saying(mtr.t("mproposal.settled_mediator", number="P1", case=case.number)))
    # Fulfilment as after any settlement: the supplier refunds, the buyer confirms.
    await fulfil_with_receipt(case.supplier, str_, case.buyer, btr, "退款凭证")

    async def closed() -> bool:
        return await case.state() is CaseState.CLOSED

    await eventually(closed)


async def test_accepted_by_one_only_it_waits_and_a_rejection_ends_it(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _taken_by_maria(bot, sandbox, catalogs, clock)
    await _propose(bot, case, maria, mtr)
    btr, str_ = case.btr, case.str_
    await accept_proposal(case.supplier, str_, "P1")
    # Not settled: the case stays in mediation, the buyer is reminded in English.
    turn = btr.t("mproposal.your_turn", number="P1", case=case.number, by=btr.t("role.supplier"))
    reminder = await case.buyer.wait_for(containing(turn))
    assert await case.state() is CaseState.MEDIATION
    assert await bot.services.db.obligations.list(case.case_id) == []
    # A second press of the supplier's "Yes, accept" (a re-delivered or double press) changes
    # nothing.
    [stored] = await bot.services.db.proposals.list(case.case_id)
    question = case.supplier.private_chat.bot_messages()[-1]
    again = await press_data(
        case.supplier, question.message_id, encode(MediatorProposalConfirm(stored.id))
    )
    assert again.text == str_.t(
        "mproposal.already_accepted", number="P1", other=str_.t("role.buyer")
    )
    assert len(await bot.services.db.mediator_proposals.acceptances(stored.id)) == 1

    # The buyer rejects: rejected, nothing settled; the supplier and the mediator are told.
    await case.buyer.press(btr.t("button.reject"), message=reminder.message_id)
    await case.buyer.wait_for(showing(btr.t("button.skip_reason")))
    for user, tr in ((case.supplier, str_), (maria, mtr)):
        await user.wait_for(saying(tr.t("mproposal.rejected", number="P1", by=tr.t("role.buyer"))))
    [stored] = await bot.services.db.proposals.list(case.case_id)
    assert stored.status == "rejected"
    assert await case.state() is CaseState.MEDIATION
    assert await bot.services.db.obligations.list(case.case_id) == []


async def test_only_the_cases_mediator_proposes_and_the_parties_answer_first(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _taken_by_maria(bot, sandbox, catalogs, clock)
    li = _mediator(sandbox, "Li")
    ltr = translator(catalogs, li)
    stranger = sandbox.user("Mallory", language_code="en")
    str_tr = translator(catalogs, stranger)
    # Another mediator and a stranger: no such case for them.
    for user, tr in ((li, ltr), (stranger, str_tr)):
        await user.send(f"/propose {case.filed_number}")
        await user.wait_for(saying(tr.t("case.not_found", number=case.number)))
    # The panel's entry refuses anyone but the case's mediator.
    assert bot.app is not None
    stored_case = await bot.services.db.cases.get(case.case_id)
    assert stored_case is not None
    await start_mediator_proposal(bot.services, bot.app.bot, stored_case, li.id)
    await li.wait_for(saying(ltr.t("pool.not_your_case", number=case.number)))

    await _propose(bot, case, maria, mtr)
    [stored] = await bot.services.db.proposals.list(case.case_id)
    # A party cannot accept it on its own through the party proposals' buttons.
    last = case.buyer.private_chat.bot_messages()[-1]
    forged = await press_data(case.buyer, last.message_id, f"pp:{stored.id}:y")
    assert forged.text == case.btr.t("callback.unavailable")
    # Nor can a mediator or a stranger press its buttons.
    for user, tr in ((maria, mtr), (li, ltr)):
        mine = user.private_chat.bot_messages()[-1]
        refused = await press_data(
            user, mine.message_id, encode(MediatorProposalConfirm(stored.id))
        )
        assert refused.text == tr.t("callback.unavailable")
    # The parties answer it before proposing themselves.
    await case.buyer.send(f"/propose {case.filed_number}")
    await case.buyer.wait_for(
        saying(case.btr.t("mproposal.answer_first", number="P1", case=case.number))
    )
    [stored] = await bot.services.db.proposals.list(case.case_id)
    assert (
        stored.status == "open"
        and await bot.services.db.mediator_proposals.acceptances(stored.id) == []
    )
