"""The proposal builder's terms as the readers get them, in English and Chinese (issue 8,
point 5): a ship-by date is the proposer's calendar date, shown as that date with the
proposer's zone to every reader (a Chinese supplier in Shanghai, an English buyer in Hamburg);
a partial return (what is returned, its refund, who pays the freight) and a discount given as
an amount are offered, checked, and become obligations that read as words, never raw keys.

The supplier (Chinese) builds the counter-proposal; the buyer (English) accepts it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

from bot.demo_dispute import accept_proposal
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.errors_render import validation_message
from flows.proposal_render import obligation_text, zone_of_day
from flows.rules.lifecycle import CaseState
from flows.rules.validation import ValidationError
from locales.i18n import Catalogs, Translator
from storage import Obligation
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import Case, containing, open_case, saying, showing

PAID = Decimal("4250")


async def _counter(case: Case) -> None:
    """The supplier presses "counter-propose": the builder opens privately."""
    str_ = case.str_
    await case.supplier.press(str_.t("button.counter"))
    await case.supplier.wait_for(showing(str_.t("outcome.partial_return")))


async def _send_proposal(case: Case) -> None:
    str_ = case.str_
    await case.supplier.press(str_.t("button.send_proposal"))
    await case.supplier.wait_for(saying(str_.t("builder.sent", number="P1")))


async def _settle(case: Case) -> list[Obligation]:
    """The buyer accepts P1; the case is settled with the obligations returned."""
    await case.buyer.wait_for(showing(case.btr.t("button.accept")))
    await accept_proposal(case.buyer, case.btr, "P1")
    for _ in range(500):  # 10 s
        if await case.state() is CaseState.SETTLED:
            break
        await asyncio.sleep(0.02)
    assert await case.state() is CaseState.SETTLED
    return await case.bot.services.db.obligations.list(case.case_id)


def _duty(tr: Translator, o: Obligation) -> str:
    return obligation_text(
        tr, o.number, o.party_role, o.kind, o.amount, o.currency, o.due_at, o.details
    )


async def _both_read(case: Case, duties: list[Obligation]) -> None:
    """Each party reads every obligation in their own language, privately and in the chat."""
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        for duty in duties:
            await user.wait_for(containing(_duty(tr, duty)))
            await user.wait_for(containing(_duty(tr, duty)), chat=case.group)
    for user in (case.buyer, case.supplier):
        for entry in user.transcript():
            assert "ship_replacement" not in entry.text and "return_part" not in entry.text
            assert "grant_discount" not in entry.text


async def test_a_ship_by_date_is_the_proposers_date_shown_as_that_date_to_every_reader(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    # The buyer reads in Hamburg, the supplier proposes in Shanghai.
    await case.buyer.send("/timezone Europe/Berlin")
    await case.buyer.wait_for(containing("Europe/Berlin"))
    btr = case.btr.with_timezone("Europe/Berlin")
    str_ = case.str_
    await _counter(case)
    await case.supplier.press(str_.t("outcome.replacement"))
    await case.supplier.wait_for(saying(str_.t("builder.ask.replacement_qty")))
    await case.supplier.send("300")
    await case.supplier.wait_for(saying(str_.t("builder.ask.replacement_date")))
    await case.supplier.send("2026-12-15")
    day = date(2026, 12, 15)

    def term(tr: Translator) -> str:
        zone = zone_of_day(tr, day, "Asia/Shanghai")
        return tr.t("term.replacement", quantity="300", date=tr.date(day), zone=zone)

    await case.supplier.wait_for(containing(term(str_)))
    await _send_proposal(case)
    # The buyer reads the date the supplier typed, with the supplier's zone, not a moment
    # moved into Hamburg's zone; /case shows the same.
    await case.buyer.wait_for(containing(term(btr)))
    assert "GMT+08:00" in term(btr) and "Dec 15, 2026" in term(btr)
    await case.buyer.send("/case")
    await case.buyer.wait_for(lambda e: term(btr) in e.text and "/case" not in e.text)

    duties = await _settle(case)
    [replacement] = [o for o in duties if o.kind == "ship_replacement"]
    # Due at the end of 15 December in Shanghai, not at midnight UTC (8 hours later).
    assert replacement.due_at == datetime(2026, 12, 15, 15, 59, 59, tzinfo=UTC)
    assert replacement.details["ship_by_tz"] == "Asia/Shanghai"
    await _both_read(case, duties)
    buyer_reads = _duty(btr, replacement)
    assert "Dec 15, 2026" in buyer_reads and "GMT+08:00" in buyer_reads
    assert "Dec 16" not in buyer_reads
    assert "2026年12月15日" in _duty(str_, replacement)
    [proposal] = await bot.services.db.proposals.list(case.case_id)
    assert proposal.terms["terms"][0]["tz"] == "Asia/Shanghai"


async def test_a_partial_return_is_proposed_checked_and_owed_by_both_sides(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    str_, btr = case.str_, case.btr
    await _counter(case)
    await case.supplier.press(str_.t("outcome.partial_return"))
    await case.supplier.wait_for(saying(str_.t("builder.ask.return_items")))
    await case.supplier.send("有裂纹的 120 件")
    ask_refund = str_.t("builder.ask.return_refund", currency="USD")
    await case.supplier.wait_for(saying(ask_refund))
    # More than was paid is refused, naming what the buyer paid (not "you paid": the supplier
    # types this), and asked again.
    await case.supplier.send("5000")
    paid = Decimal("4250")
    refused = validation_message(
        ValidationError("proposal.refund_exceeds_paid", paid=paid, currency="USD"), str_
    )
    assert str_.money(paid, "USD") in refused
    await case.supplier.wait_for(saying(refused))
    await case.supplier.send("1200")
    await case.supplier.wait_for(saying(str_.t("builder.ask.freight")))
    await case.supplier.press(str_.t("role.supplier_pays"))

    def term(tr: Translator) -> str:
        return tr.t(
            "term.partial_return",
            items="有裂纹的 120 件",
            amount=tr.money(Decimal("1200"), "USD"),
            party=tr.t("role.supplier"),
        )

    await case.supplier.wait_for(containing(term(str_)))
    await _send_proposal(case)
    await case.buyer.wait_for(containing(term(btr)))

    duties = await _settle(case)
    assert [(o.number, o.party_role, o.kind) for o in duties] == [
        (1, "buyer", "return_part"),
        (2, "supplier", "refund"),
    ]
    assert duties[1].amount == Decimal("1200") and duties[1].due_at > duties[0].due_at
    await _both_read(case, duties)
    assert "returns part of the goods (有裂纹的 120 件)" in _duty(btr, duties[0])
    assert "退回部分货物" in _duty(str_, duties[0])
    # Like a full return's: the buyer's return has a "done" button for the buyer only.
    await case.buyer.wait_for(showing(btr.t("button.mark_done", number="O1")))


async def test_a_discount_on_a_future_order_can_be_an_amount(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    str_, btr = case.str_, case.btr
    await _counter(case)
    await case.supplier.press(str_.t("outcome.discount"))
    await case.supplier.wait_for(saying(str_.t("builder.ask.discount", currency="USD")))
    # Read and refused as the claim form does (flows/rules/term_input), each with its reason.
    paid = str_.money(Decimal("4250"), "USD")
    for typed, error in (
        ("abc", str_.t("error.discount.invalid", currency="USD")),
        ("100%", str_.t("error.discount.percent_range")),
        ("5000", str_.t("error.discount.exceeds_paid", paid=paid)),
    ):
        await case.supplier.send(typed)
        await case.supplier.wait_for(saying(error))
        await case.supplier.wait_for(saying(str_.t("builder.ask.discount", currency="USD")))
    await case.supplier.send("300")

    def term(tr: Translator) -> str:
        return tr.t("term.discount_amount", amount=tr.money(Decimal("300"), "USD"))

    await case.supplier.wait_for(containing(term(str_)))
    await _send_proposal(case)
    await case.buyer.wait_for(containing(term(btr)))

    [duty] = await _settle(case)
    assert (duty.party_role, duty.kind) == ("supplier", "grant_discount")
    await _both_read(case, [duty])
    buyer_money, supplier_money = btr.money(Decimal(300), "USD"), str_.money(Decimal(300), "USD")
    assert f"a discount of {buyer_money} on a future order" in _duty(btr, duty)
    assert f"后续订单优惠 {supplier_money}" in _duty(str_, duty)
