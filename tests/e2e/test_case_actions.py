"""/case offers every action its reader can take now, so no case depends on one message.

Each test loses the message that carried a step's buttons (the party deleted it, or it never
arrived), asks /case, and takes the step from there; the English buyer and the Chinese supplier
each read their own language.
"""

from __future__ import annotations

from bot.demo_dispute import JPEG_RECEIPT, accept_proposal, counter_propose_partial_refund
from bot.sandbox import Sandbox, SandboxUser, TranscriptEntry
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, ClosingReason, DeadlineKind
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import (
    Case,
    ask_text,
    bid_round,
    containing,
    in_negotiation,
    open_case,
    saying,
    showing,
    start_bidding,
)


def lose(user: SandboxUser, label: str) -> int:
    """Take every bot message showing `label` out of the user's private chat, as if it never
    arrived; returns how many there were."""
    lost = [r for r in user.private_chat.bot_messages() if r.callback_data_for(label) is not None]
    for record in lost:
        record.deleted = True
    return len(lost)


async def case_card(case: Case, user: SandboxUser, label: str) -> TranscriptEntry:
    """What /case <n> answers `user`, once it shows `label`."""
    tr = case.btr if user is case.buyer else case.str_
    sent = await user.send(f"/case {case.case_id}")
    header = tr.t("case.actions_header")
    return await user.wait_for(
        lambda e: e.message_id > sent["message_id"] and header in e.text and label in e.button_texts
    )


async def test_a_supplier_whose_answer_buttons_were_lost_answers_from_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    str_ = case.str_
    assert lose(case.supplier, str_.t("button.contest")) == 1

    card = await case_card(case, case.supplier, str_.t("button.contest"))
    assert str_.t("button.accept_request") in card.button_texts
    assert str_.t("button.counter") in card.button_texts
    assert str_.t("button.chat_link") in card.button_texts
    # The buyer is offered neither the supplier's answers nor anything in Chinese.
    buyer_card = await case_card(case, case.buyer, case.btr.t("button.replace_supplier"))
    assert str_.t("button.contest") not in buyer_card.button_texts
    assert case.btr.t("button.contest") not in buyer_card.button_texts

    await case.supplier.press(str_.t("button.contest"), message=card)
    await case.supplier.wait_for(saying(str_.t("supplier.ask_contest")))
    await case.supplier.send("货物出厂时完好无损。")
    await case.buyer.wait_for(containing("货物出厂时完好无损。"))
    assert await case.state() is CaseState.NEGOTIATION
    # Answered: /case no longer offers the answers.
    after = await case_card(case, case.supplier, str_.t("button.ask_mediator"))
    assert str_.t("button.contest") not in after.button_texts


async def test_a_lost_proposal_and_lost_settlement_buttons_are_reachable_from_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await counter_propose_partial_refund(case.supplier, str_, "400")
    await case.buyer.wait_for(showing(btr.t("button.accept")))
    assert lose(case.buyer, btr.t("button.accept")) >= 1

    card = await case_card(case, case.buyer, btr.t("button.accept"))
    intro = btr.t("case.open_proposal", number="P1", author=btr.t("role.supplier"), terms="\x00")
    assert intro.split("\x00")[0] in card.text
    await accept_proposal(case.buyer, btr, "P1", message=card)
    done = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(done))
    assert await case.state() is CaseState.SETTLED

    # The supplier's "O1 done" message is lost: /case offers it.
    assert lose(case.supplier, done) >= 1
    card = await case_card(case, case.supplier, done)
    await case.supplier.press(done, message=card)
    await case.supplier.wait_for(showing(str_.t("button.no_proof")))
    await case.supplier.send_photo(JPEG_RECEIPT, caption="退款回单")

    # The buyer's "confirm" message is lost: /case offers it, by obligation number.
    await case.buyer.wait_for(showing(btr.t("button.confirm_done")))
    assert lose(case.buyer, btr.t("button.confirm_done")) >= 1
    confirm = btr.t("button.confirm_numbered", number="O1")
    card = await case_card(case, case.buyer, confirm)
    assert btr.t("button.not_done_numbered", number="O1") in card.button_texts
    await case.buyer.press(confirm, message=card)
    await case.supplier.wait_for(
        containing(str_.t("case.closed_fulfilled", number=case.number)), timeout=10
    )
    closed = await bot.services.db.cases.get(case.case_id)
    assert closed is not None and closed.closed_reason is ClosingReason.FULFILLED


async def test_mediator_and_withdrawal_are_offered_by_case_where_allowed(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    # The buyer may ask for a mediator only from day 4 after filing; the supplier at once.
    buyer_card = await case_card(case, case.buyer, btr.t("button.withdraw"))
    assert btr.t("button.ask_mediator") not in buyer_card.button_texts
    supplier_card = await case_card(case, case.supplier, str_.t("button.ask_mediator"))
    assert str_.t("button.withdraw") not in supplier_card.button_texts

    await case.supplier.press(str_.t("button.ask_mediator"), message=supplier_card)
    await case.buyer.wait_for(
        containing(
            btr.t(
                "mediation.requested",
                number=case.number,
                by=btr.t("role.supplier"),
                due=btr.datetime(
                    bot.services.policy.due_at(DeadlineKind.MEDIATOR_ASSIGNMENT, clock.now())
                ),
            )
        )
    )
    assert await case.state() is CaseState.MEDIATION

    # Withdrawing from /case asks first, as /withdraw does.
    card = await case_card(case, case.buyer, btr.t("button.withdraw"))
    await case.buyer.press(btr.t("button.withdraw"), message=card)
    await case.buyer.wait_for(saying(btr.t("withdraw.confirm", number=case.number)))
    assert await case.state() is CaseState.MEDIATION
    await case.buyer.press(btr.t("button.withdraw_yes"))
    await case.supplier.wait_for(containing(str_.t("withdraw.done", number=case.number)))
    assert await case.state() is CaseState.CLOSED


async def test_a_lost_blind_bidding_offer_is_joined_from_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await case.buyer.send("/blindbid")
    join = str_.t("button.bids_join")
    await case.supplier.wait_for(showing(join))
    assert lose(case.supplier, join) >= 1

    card = await case_card(case, case.supplier, join)
    await case.supplier.press(join, message=card)
    await case.buyer.wait_for(
        containing(btr.t("bids.started", number=case.number, round=1)), chat=case.group
    )
    # The prompt for the supplier's figure is lost too: /case repeats it, and the figure
    # typed after it is taken.
    asking = ask_text(case, case.supplier, 1)
    await case.supplier.wait_for(saying(asking))
    for record in case.supplier.private_chat.bot_messages():
        if record.text == asking:
            record.deleted = True
    sent = await case.supplier.send(f"/case {case.case_id}")
    await case.supplier.wait_for(
        lambda e: (
            e.message_id > sent["message_id"]
            and e.text.startswith(case.number)
            and asking in e.text
        )
    )
    await case.supplier.send("300")
    await case.supplier.wait_for(containing(str_.t("bids.recorded", round=1)))


async def test_the_pinned_claim_is_bilingual_and_sends_a_party_their_actions_privately(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    assert lose(case.supplier, str_.t("button.contest")) == 1
    [pinned] = sandbox.pinned(case.group)
    # Pinned when only the English buyer was in the case, rewritten once the Chinese supplier
    # joined: the claim and its button in both languages.
    label = case.both("button.my_actions")
    claim = case.group.messages[pinned]
    await sandbox.wait_until(lambda: claim.callback_data_for(label) is not None)
    assert btr.t("group.bound", number=case.number) in claim.text
    assert str_.t("group.bound", number=case.number) in claim.text

    answer = await case.supplier.press(label, chat=case.group, message=pinned)
    assert answer.text == str_.t("case.card_sent")
    card = await case.supplier.wait_for(
        lambda e: (
            str_.t("case.actions_header") in e.text and str_.t("button.contest") in e.button_texts
        )
    )
    await case.supplier.press(str_.t("button.contest"), message=card)
    await case.supplier.wait_for(saying(str_.t("supplier.ask_contest")))

    # Someone with no part in the case learns nothing from the button.
    eve = sandbox.user("Eve", language_code="en")
    await eve.open_link("https://t.me/DisputeTestBot?start")
    refused = await eve.press(label, chat=case.group, message=pinned)
    assert refused.text == catalogs.translator("en", "UTC").t("callback.unavailable")


async def test_lost_midpoint_and_next_round_buttons_are_reachable_from_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await start_bidding(case)
    await bid_round(case, "2000", "1700", 1)  # close: both are offered the midpoint
    await case.supplier.wait_for(showing(str_.t("button.decline_midpoint")))
    await case.buyer.wait_for(showing(btr.t("button.accept_midpoint")))
    assert lose(case.buyer, btr.t("button.accept_midpoint")) == 1
    assert lose(case.supplier, str_.t("button.decline_midpoint")) == 1

    card = await case_card(case, case.buyer, btr.t("button.accept_midpoint"))
    answer = await case.buyer.press(btr.t("button.accept_midpoint"), message=card)
    assert answer.text == btr.t("bids.answer_recorded")
    card = await case_card(case, case.supplier, str_.t("button.decline_midpoint"))
    await case.supplier.press(str_.t("button.decline_midpoint"), message=card)
    await case.buyer.wait_for(showing(btr.t("button.bid_again")))
    assert await case.state() is CaseState.NEGOTIATION

    assert lose(case.buyer, btr.t("button.bid_again")) >= 1
    card = await case_card(case, case.buyer, btr.t("button.bid_again"))
    await case.buyer.press(btr.t("button.bid_again"), message=card)
    await case.buyer.wait_for(saying(ask_text(case, case.buyer, 2)))
    await case.supplier.wait_for(saying(ask_text(case, case.supplier, 2)))
