"""Every term of a settlement reads as words in each reader's language, never as a raw key,
and a new proposal says until when it can be accepted and what happens if nobody does.

An English buyer asks for a 10% discount on a future order; the Chinese supplier accepts the
request. The obligation is the discount, stated in English for the
buyer and in Chinese for the supplier (and both in the shared chat), not "the supplier:
discount" as an "other" term whose text was the outcome's stored value.
"""

from __future__ import annotations

from datetime import timedelta

from bot.demo_dispute import counter_propose_partial_refund
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import accept_request, containing, open_case


async def test_an_accepted_discount_request_reads_as_a_discount_in_both_languages(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock, outcome="outcome.discount")
    await accept_request(case.supplier, case.str_)
    due = clock.now() + timedelta(days=7)

    def duty(tr: Translator) -> str:
        return tr.t(
            "obligation.grant_discount",
            number="O1",
            party=tr.t("role.supplier"),
            due=tr.datetime(due),
            percent="10",
        )

    def settled(tr: Translator) -> str:
        return tr.t(
            "settlement.reached",
            case=case.number,
            number="P1",
            by=tr.t("role.supplier"),
            obligations=duty(tr),
            due=tr.datetime(due),
        )

    buyer_sees = await case.buyer.wait_for(containing(settled(case.btr)))
    supplier_sees = await case.supplier.wait_for(containing(settled(case.str_)))
    in_chat = await case.buyer.wait_for(containing(duty(case.str_)), chat=case.group)
    assert duty(case.btr) in in_chat.text
    assert "后续订单优惠" in supplier_sees.text and "discount on a future order" in buyer_sees.text
    for entry in (buyer_sees, supplier_sees, in_chat):
        assert ": discount" not in entry.text and "：discount" not in entry.text

    assert await case.state() is CaseState.SETTLED
    [obligation] = await bot.services.db.obligations.list(case.case_id)
    assert (obligation.party_role, obligation.kind) == ("supplier", "grant_discount")
    [proposal] = await bot.services.db.proposals.list(case.case_id)
    assert proposal.terms["terms"] == [{"kind": "discount", "percent": "10", "amount": None}]


async def test_a_new_proposal_says_until_when_it_can_be_accepted_and_what_happens_then(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    await counter_propose_partial_refund(case.supplier, case.str_, "800")
    [deadline] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    assert deadline.kind is DeadlineKind.NEGOTIATION

    def until(tr: Translator) -> str:
        return tr.t("proposal.open_until_negotiation", due=tr.datetime(deadline.due_at))

    # The buyer reads it in English and in their zone privately; the shared chat carries the
    # Chinese reading (in the supplier's zone) as well.
    private = await case.buyer.wait_for(containing(until(case.btr)))
    assert private.text.endswith(until(case.btr)) and "P1" in private.text
    shared = await case.buyer.wait_for(containing(until(case.str_)), chat=case.group)
    assert until(case.btr) in shared.text
    assert "转交调解员" in until(case.str_) and "mediator" in until(case.btr)
