"""One extra tap before what cannot be undone: accepting a proposal, accepting the buyer's request.

Accept asks first, in the presser's private chat and language, with the terms and what
accepting means; "Not now" changes nothing and says so; the question's buttons go once it is
answered. An English buyer and a Chinese supplier, so each reader's language is checked.
"""

from __future__ import annotations

from decimal import Decimal

from bot.demo_dispute import confirm_privately, counter_propose_partial_refund
from bot.sandbox import Sandbox, SandboxUser, TranscriptEntry
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import Case, accept_request, open_case, showing


async def _proposal_status(bot: BotHarness, case: Case) -> list[str]:
    return [p.status for p in await bot.services.db.proposals.list(case.case_id)]


async def _question(user: SandboxUser, text: str, yes: str) -> TranscriptEntry:
    """The confirmation asked privately: `text`, with `yes` and "Not now"."""
    return await user.wait_for(lambda e: e.text == text and yes in e.button_texts)


async def test_accepting_a_proposal_is_confirmed_first_and_not_now_changes_nothing(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr: Translator = case.btr
    await counter_propose_partial_refund(case.supplier, case.str_, "800")
    await case.buyer.wait_for(showing(btr.t("button.accept")))
    terms = "• " + btr.t("term.partial_amount", amount=btr.money(Decimal("800"), "USD"))
    ask = btr.t("proposal.confirm_accept", number="P1", case=case.number, terms=terms)
    yes = btr.t("button.accept_yes", number="P1")

    # Accept in the private chat only asks; nothing is decided yet.
    first = await case.buyer.press(btr.t("button.accept"))
    assert not first.show_alert
    question = await _question(case.buyer, ask, yes)
    assert question.button_texts == [yes, btr.t("button.not_now")]
    assert await case.state() is CaseState.NEGOTIATION
    assert await _proposal_status(bot, case) == ["open"]

    # "Not now": the proposal stays open, the buyer is told so, the question loses its buttons.
    kept = await case.buyer.press(btr.t("button.not_now"), message=question.message_id)
    assert kept.text == btr.t("proposal.accept_kept", number="P1")
    await case.buyer.wait_for(lambda e: e.message_id == question.message_id and not e.buttons)
    assert await case.state() is CaseState.NEGOTIATION
    assert await _proposal_status(bot, case) == ["open"]

    # Accept in the shared chat: the question goes to the private chat, and the toast says so.
    from_group = await case.buyer.press(case.both("button.accept"), chat=case.group)
    assert from_group.text == btr.t("confirm.sent_privately")
    question = await _question(case.buyer, ask, yes)
    assert await case.state() is CaseState.NEGOTIATION

    done = await case.buyer.press(yes, message=question.message_id)
    assert done.text == btr.t("proposal.accepted_ack")
    assert await case.state() is CaseState.SETTLED
    assert await _proposal_status(bot, case) == ["accepted"]
    await case.buyer.wait_for(lambda e: e.message_id == question.message_id and not e.buttons)


async def test_the_supplier_confirms_accepting_the_request_in_chinese(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    tr = case.str_
    refund = tr.t("term.partial_amount", amount=tr.money(Decimal("1020"), "USD"))
    ask = tr.t("supplier.confirm_accept", case=case.number, terms=f"• {refund}")
    yes = tr.t("button.accept_request_yes")
    assert "无法撤销" in ask and "买家的诉求" in ask  # the reader's language, the consequence

    await case.supplier.press(tr.t("button.accept_request"))
    question = await _question(case.supplier, ask, yes)
    assert question.button_texts == [yes, tr.t("button.not_now")]
    assert await case.state() is CaseState.AWAITING_SUPPLIER
    assert await _proposal_status(bot, case) == []

    kept = await case.supplier.press(tr.t("button.not_now"), message=question.message_id)
    assert kept.text == tr.t("supplier.accept_kept")
    assert await case.state() is CaseState.AWAITING_SUPPLIER

    await case.supplier.press(tr.t("button.accept_request"))
    await confirm_privately(case.supplier, yes)
    await case.supplier.wait_for(showing(tr.t("button.mark_done", number="O1")))
    assert await case.state() is CaseState.SETTLED
    assert await _proposal_status(bot, case) == ["accepted"]
    # The answered question cannot be pressed again by mistake.
    again = [e for e in case.supplier.transcript() if yes in e.button_texts]
    assert again == []


async def test_it_was_not_done_asks_why_cancel_keeps_and_the_reason_reaches_the_other_side(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await accept_request(case.supplier, str_)
    await case.supplier.wait_for(showing(str_.t("button.mark_done", number="O1")))
    await case.supplier.press(str_.t("button.mark_done", number="O1"))
    await case.supplier.wait_for(showing(str_.t("button.no_proof")))
    await case.supplier.press(str_.t("button.no_proof"))
    question = await case.buyer.wait_for(showing(btr.t("button.not_done")))

    # "It was not done" only asks why, saying what it does; Cancel changes nothing.
    ask = btr.t("obligation.ask_not_done", number="O1", max=500)
    assert "cannot be undone" in ask
    await case.buyer.press(btr.t("button.not_done"), message=question.message_id)
    why = await case.buyer.wait_for(lambda e: e.text == ask)
    assert why.button_texts == [btr.t("button.cancel")]
    assert await case.state() is CaseState.SETTLED
    kept = await case.buyer.press(btr.t("button.cancel"), message=why.message_id)
    assert kept.text == btr.t("obligation.not_done_kept", number="O1")
    await case.buyer.wait_for(lambda e: e.message_id == why.message_id and not e.buttons)
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.status == "done" and await case.state() is CaseState.SETTLED

    # Again, and this time the reason is typed: the case goes to mediation, the supplier reads
    # the reason in a Chinese sentence, and it is on the record.
    await case.buyer.press(btr.t("button.not_done"), message=question.message_id)
    await case.buyer.wait_for(lambda e: e.text == ask and bool(e.buttons))
    reason = "Nothing arrived in our account."
    await case.buyer.send(reason)
    due = bot.services.policy.due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, clock.now())
    told = str_.t(
        "mediation.waiting_fulfilment",
        number=case.number,
        obligation="O1",
        by=str_.t("role.buyer"),
        reason=reason,
        due=str_.datetime(due),
    )
    assert "理由" in told
    await case.supplier.wait_for(lambda e: e.text == told)
    assert await case.state() is CaseState.MEDIATION
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert (duty.status, duty.dispute_reason) == ("disputed", reason)
    events = await bot.services.db.history.list(case.case_id)
    assert {"reason": reason} in [
        {"reason": e.payload.get("reason")} for e in events if e.kind == "obligation.disputed"
    ]
