"""Blind bidding end to end (PRODUCT.md): each side tells the bot privately the figure it can
live with; the case settles at the midpoint when they meet, both are offered the midpoint when
they are close, and otherwise nothing is revealed, for three rounds at most.

The English buyer and the Chinese supplier of the scripted claim (4,250.00 USD paid) bid in
their private chats. The figures must never reach the other side (in any spelling, in either
language), the shared chat, or the case history.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import (
    Case,
    ask_text,
    bid,
    bid_round,
    bid_settled_text,
    bilingual,
    contest,
    figure_spellings,
    history_json,
    in_negotiation,
    leaked,
    open_case,
    saying,
    showing,
    start_bidding,
)


def _scan(texts: list[str], figures: list[str]) -> list[str]:
    """The history entries that carry one of `figures` as a number of its own."""
    pattern = re.compile(
        r"(?<![0-9A-Za-z.,])(?:" + "|".join(re.escape(f) for f in figures) + r")(?![0-9A-Za-z])"
    )
    return [text for text in texts if pattern.search(text)]


async def _told_privately_and_in_group(case: Case, key: str, **params: object) -> None:
    await case.buyer.wait_for(saying(case.btr.t(key, **params)))
    await case.supplier.wait_for(saying(case.str_.t(key, **params)))
    await case.buyer.wait_for(bilingual(case, key, **params), chat=case.group)


async def test_figures_that_meet_settle_at_the_midpoint_and_stay_out_of_the_history(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    db = bot.services.db
    await start_bidding(case)
    # Both type their figure at the same instant: the round is resolved once.
    await asyncio.gather(bid(case, case.buyer, "1000", 1), bid(case, case.supplier, "1200", 1))

    due = clock.now() + timedelta(days=7)
    midpoint = Decimal("1100.00")
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(bid_settled_text(tr, case, midpoint, due)))
    await case.buyer.wait_for(
        lambda e: (
            bid_settled_text(case.btr, case, midpoint, due) in e.text
            and bid_settled_text(case.str_, case, midpoint, due) in e.text
        ),
        chat=case.group,
    )

    assert await case.state() is CaseState.SETTLED
    [proposal] = await db.proposals.list(case.case_id)
    assert proposal.status == "accepted" and proposal.source == "blind_bid"
    [duty] = await db.obligations.list(case.case_id)
    assert duty.amount == midpoint and duty.currency == "USD"
    assert duty.party_role == "supplier" and duty.kind == "refund"
    bidding = await db.bids.get(case.case_id)
    assert bidding is not None and bidding.status == "settled" and bidding.rounds_done == 1

    history = await history_json(bot, case.case_id)
    assert _scan(history, ["1100.00"]), "the scan must see the midpoint, which may be revealed"
    assert _scan(history, ["1000", "1000.00", "1200", "1200.00"]) == []
    assert (await db.history.verify(case.case_id)).ok
    # Neither side is told the other's figure (only the midpoint).
    assert leaked(case.buyer.transcript(), figure_spellings(catalogs, ["1200"])) == []
    assert leaked(case.supplier.transcript(), figure_spellings(catalogs, ["1000"])) == []
    assert (
        leaked(case.buyer.transcript(case.group), figure_spellings(catalogs, ["1000", "1200"]))
        == []
    )


async def test_three_rounds_without_overlap_reveal_nothing(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    # Figures that collide with no number of the scripted claim (500 units, 4,250.00 paid, ...).
    buyer_figures = ["3030", "3131", "3232"]
    supplier_figures = ["515", "616", "717"]
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    db = bot.services.db
    await start_bidding(case)

    for round_no in (1, 2, 3):
        await bid_round(case, buyer_figures[round_no - 1], supplier_figures[round_no - 1], round_no)
        if round_no < 3:
            left = 3 - round_no
            await _told_privately_and_in_group(case, "bids.no_overlap", round=round_no, left=left)
            notice = await case.buyer.wait_for(
                saying(btr.t("bids.no_overlap", round=round_no, left=left))
            )
            assert notice.button_texts == [btr.t("button.bid_again")]
            # Round 2 is started by the buyer, round 3 by the supplier.
            if round_no == 1:
                await case.buyer.press(btr.t("button.bid_again"), message=notice.message_id)
            else:
                supplier_notice = await case.supplier.wait_for(
                    saying(str_.t("bids.no_overlap", round=round_no, left=left))
                )
                await case.supplier.press(
                    str_.t("button.bid_again"), message=supplier_notice.message_id
                )
            await case.buyer.wait_for(saying(ask_text(case, case.buyer, round_no + 1)))
            await case.supplier.wait_for(saying(ask_text(case, case.supplier, round_no + 1)))
            assert await case.state() is CaseState.NEGOTIATION

    await _told_privately_and_in_group(case, "bids.exhausted", number=case.number)
    exhausted = await case.buyer.wait_for(saying(btr.t("bids.exhausted", number=case.number)))
    assert exhausted.button_texts == []
    assert not any(
        btr.t("bids.no_overlap", round=3, left=0) in e.text for e in case.buyer.transcript()
    )
    assert await case.state() is CaseState.NEGOTIATION
    bidding = await db.bids.get(case.case_id)
    assert bidding is not None and bidding.status == "exhausted" and bidding.rounds_done == 3
    assert await db.obligations.list(case.case_id) == []

    # Nothing of the other side's figures, in any spelling or language, anywhere they read.
    buyer_spellings = figure_spellings(catalogs, buyer_figures)
    supplier_spellings = figure_spellings(catalogs, supplier_figures)
    # (The scan does find the buyer's own figures in what the buyer typed.)
    typed = [replace(e, from_bot=True) for e in case.buyer.transcript() if not e.from_bot]
    assert {s for s, _ in leaked(typed, buyer_spellings)} >= set(buyer_figures)
    assert leaked(case.buyer.transcript(), supplier_spellings) == []
    assert leaked(case.supplier.transcript(), buyer_spellings) == []
    group = case.buyer.transcript(case.group)
    assert leaked(group, buyer_spellings | supplier_spellings) == []
    history = await history_json(bot, case.case_id)
    assert _scan(history, [*buyer_figures, *supplier_figures]) == []

    # A fourth round cannot be started.
    await case.buyer.send("/blindbid")
    await case.buyer.wait_for(saying(btr.t("bids.already", number=case.number)))


async def _midpoint_offered(case: Case) -> tuple[int, int]:
    """Close figures (gap 300 <= 10% of 4,250): both are offered 1,850.00 privately."""
    await start_bidding(case)
    await bid_round(case, "2000", "1700", 1)
    # The answer is due when negotiation ends (the case's own deadline), and the offer says so.
    negotiation = await case.bot.services.db.deadlines.next_for_case(case.case_id)
    assert negotiation is not None and negotiation.kind is DeadlineKind.NEGOTIATION
    ids = []
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        text = tr.t(
            "bids.midpoint_offer",
            amount=tr.money(Decimal("1850"), "USD"),
            due=tr.datetime(negotiation.due_at),
        )
        offer = await user.wait_for(saying(text))
        assert offer.button_texts == [
            tr.t("button.accept_midpoint"),
            tr.t("button.decline_midpoint"),
        ]
        ids.append(offer.message_id)
    # The offer goes to the parties only; the figures are in no message.
    assert leaked(case.buyer.transcript(), figure_spellings(case.catalogs, ["1700"])) == []
    assert leaked(case.supplier.transcript(), figure_spellings(case.catalogs, ["2000"])) == []
    assert (
        leaked(case.buyer.transcript(case.group), figure_spellings(case.catalogs, ["2000", "1700"]))
        == []
    )
    return ids[0], ids[1]


async def test_close_figures_settle_at_the_midpoint_when_both_accept(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    buyer_offer, supplier_offer = await _midpoint_offered(case)
    first = await case.buyer.press(case.btr.t("button.accept_midpoint"), message=buyer_offer)
    assert first.text == case.btr.t("bids.answer_recorded")
    assert await case.state() is CaseState.NEGOTIATION  # one answer settles nothing
    await case.supplier.press(case.str_.t("button.accept_midpoint"), message=supplier_offer)

    due = clock.now() + timedelta(days=7)
    midpoint = Decimal("1850.00")
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(bid_settled_text(tr, case, midpoint, due)))
    assert await case.state() is CaseState.SETTLED
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.amount == midpoint and duty.party_role == "supplier"
    history = await history_json(bot, case.case_id)
    assert _scan(history, ["2000", "2000.00", "1700", "1700.00"]) == []


async def test_a_declined_midpoint_reveals_nothing_and_another_round_follows(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await in_negotiation(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    buyer_offer, supplier_offer = await _midpoint_offered(case)
    await case.buyer.press(btr.t("button.accept_midpoint"), message=buyer_offer)
    answer = await case.supplier.press(str_.t("button.decline_midpoint"), message=supplier_offer)
    assert answer.text == str_.t("bids.answer_recorded")

    await _told_privately_and_in_group(case, "bids.no_overlap", round=1, left=2)
    assert await case.state() is CaseState.NEGOTIATION
    assert await bot.services.db.obligations.list(case.case_id) == []

    notice = await case.supplier.wait_for(showing(str_.t("button.bid_again")))
    await case.supplier.press(str_.t("button.bid_again"), message=notice.message_id)
    await case.buyer.wait_for(saying(ask_text(case, case.buyer, 2)))
    await case.supplier.wait_for(saying(ask_text(case, case.supplier, 2)))
    await bid_round(case, "1900", "1900", 2)
    due = clock.now() + timedelta(days=7)
    await case.buyer.wait_for(saying(bid_settled_text(btr, case, Decimal("1900.00"), due)))
    assert await case.state() is CaseState.SETTLED


async def test_without_a_shared_chat_the_party_who_offers_blind_bidding_gets_an_answer(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock, with_chat=False)
    await contest(case)
    btr, str_ = case.btr, case.str_
    chat = case.buyer.private_chat
    before = len(chat.bot_messages())
    await case.buyer.send("/blindbid")
    await case.supplier.wait_for(showing(str_.t("button.bids_join")))
    # Updates of one chat are handled in order: once /case is answered, so was /blindbid.
    await case.buyer.send(f"/case {case.case_id}")
    await case.buyer.wait_for(lambda e: e.text.startswith(f"{case.number} · "))
    answers = [sandbox.entry(r).text for r in chat.bot_messages()[before:]]
    assert len(answers) == 2, answers  # the answer to /blindbid, then the case view
    assert answers[0] == btr.t("bids.offer_sent", number=case.number)
