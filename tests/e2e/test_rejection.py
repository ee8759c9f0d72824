"""Rejecting a proposal: the rejecter is answered, the proposer told, and a reason may follow.

The English buyer rejects the Chinese supplier's proposal: the press is answered, the
supplier is told in Chinese, and the buyer is asked privately why (typed, or Skip). A typed
reason goes on the record and to the supplier in Chinese; Skip leaves none.
"""

from __future__ import annotations

from bot.buttons_off import take_off
from bot.demo_dispute import counter_propose_partial_refund
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, eventually
from tests.e2e.dispute_steps import Case, open_case, saying, showing

REASON = "800 does not cover the 120 broken speakers."


async def _reject(case: Case, number: str) -> None:
    btr = case.btr
    answer = await case.buyer.press(btr.t("button.reject"))
    assert answer.text == btr.t("proposal.rejected_ack", number=number) and not answer.show_alert
    told = case.str_.t("proposal.rejected", number=number, by=case.str_.t("role.buyer"))
    await case.supplier.wait_for(saying(told))


async def _reasons(bot: BotHarness, case: Case) -> list[dict[str, object]]:
    events = await bot.services.db.history.list(case.case_id)
    return [e.payload for e in events if e.kind == "proposal.reject_reason"]


async def test_a_rejection_is_answered_and_its_optional_reason_reaches_the_proposer(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    await counter_propose_partial_refund(case.supplier, str_, "800")
    await case.buyer.wait_for(showing(btr.t("button.reject")))

    await _reject(case, "P1")
    ask = btr.t("proposal.ask_reject_reason", number="P1", author=btr.t("role.supplier"), max=500)
    question = await case.buyer.wait_for(saying(ask))
    assert question.button_texts == [btr.t("button.skip_reason")]
    # The proposal is no longer open, but its Skip applies while the reason is asked: a pass
    # taking stale buttons off leaves it (it took it off at once, found playing by hand).
    assert bot.app is not None

    async def recorded() -> bool:  # the client records a message's buttons after sending it
        rows = await bot.services.db.buttons.all()
        return any(r.message_id == question.message_id for r in rows)

    await eventually(recorded)
    await take_off(bot.services, bot.app.bot)
    [now] = [e for e in case.buyer.transcript() if e.message_id == question.message_id]
    assert now.button_texts == [btr.t("button.skip_reason")]
    await case.buyer.send(REASON)
    reason = str_.t("proposal.reject_reason", number="P1", by=str_.t("role.buyer"), reason=REASON)
    assert "拒绝方案 P1 的原因" in reason
    await case.supplier.wait_for(saying(reason))
    assert await _reasons(bot, case) == [{"number": 1, "reason": REASON}]

    # A second proposal, rejected without a reason: Skip answers, and the question goes.
    await case.supplier.send("/propose")
    await case.supplier.wait_for(showing(str_.t("outcome.partial_refund")))
    await case.supplier.press(str_.t("outcome.partial_refund"))
    await case.supplier.wait_for(saying(str_.t("builder.ask.partial")))
    await case.supplier.send("1000")
    await case.supplier.wait_for(showing(str_.t("button.send_proposal")))
    await case.supplier.press(str_.t("button.send_proposal"))
    await case.buyer.wait_for(lambda e: "P2" in e.text and btr.t("button.reject") in e.button_texts)
    await _reject(case, "P2")
    ask2 = ask.replace("P1", "P2")
    question = await case.buyer.wait_for(lambda e: e.text == ask2 and bool(e.buttons))
    skipped = await case.buyer.press(btr.t("button.skip_reason"), message=question.message_id)
    assert skipped.text == btr.t("proposal.reason_skipped")
    await case.buyer.wait_for(lambda e: e.message_id == question.message_id and not e.buttons)
    assert await _reasons(bot, case) == [{"number": 1, "reason": REASON}]
    [_, second] = await bot.services.db.proposals.list(case.case_id)
    assert second.status == "rejected"
