"""A reconsideration that confirms a decision whose obligations were all confirmed closes the
case as fulfilled at once, in the decision's own transaction: it is never left decided with
nothing to do, to lapse as "not fulfilled" at the fulfilment deadline.

The English buyer and the Chinese supplier of `open_case`; Maria decides D1, Li reconsiders.
"""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import containing, saying, stays_closed_fulfilled
from tests.e2e.test_decision import (
    MORE_CRACKS,
    _decide_partial,
    _in_arbitration,
    _take_label,
    ask_reconsideration,
)
from tests.e2e.test_mediator_pool import _mediator, _staff
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat and mediators


async def test_confirming_a_fulfilled_decision_closes_the_case_as_fulfilled_at_once(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _in_arbitration(bot, sandbox, catalogs, clock)
    await _decide_partial(maria, mtr, case)
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    str_, btr = case.str_, case.btr
    # D1's only obligation is done and confirmed: the case closes as fulfilled.
    await case.supplier.press(str_.t("button.mark_done", number="O1"))
    await case.supplier.wait_for(containing(str_.t("obligation.ask_proof", number="O1")))
    await case.supplier.press(str_.t("button.no_proof"))
    await case.buyer.wait_for(lambda e: btr.t("button.confirm_done") in e.button_texts)
    await case.buyer.press(btr.t("button.confirm_done"))
    await case.buyer.wait_for(saying(btr.t("case.closed_fulfilled", number=case.number)))
    # The buyer asks for a reconsideration with new evidence, within the window.
    clock.advance(timedelta(hours=5))
    await ask_reconsideration(bot, case, clock, MORE_CRACKS)
    staff = _staff(sandbox)
    take = _take_label(sandbox, catalogs)
    li = _mediator(sandbox, "Li")
    ltr = translator(catalogs, li)
    post = await li.wait_for(lambda e: take in e.button_texts, chat=staff)
    await li.press(take, staff, message=post.message_id)
    await li.wait_for(containing(ltr.t("card.title", number=case.number)))
    # Li confirms D1: its obligation was already confirmed, so nothing is left to do.
    await li.send(f"/decide {case.filed_number}")
    keep = ltr.t("button.decision_confirm", decision="D1")
    await li.wait_for(lambda e: keep in e.button_texts)
    await li.press(keep)
    await li.wait_for(saying(ltr.t("decision.ask_reasons", number=case.number, items="E1, E2, E3")))
    reasons = "E3 是买家自己的陈述，没有照片；E1 的照片已在 D1 中计入。"
    await li.send(reasons)
    texts = {
        tr.language: tr.t(
            "decision.confirmed_fulfilled",
            number="D1",
            case=case.number,
            name="Li",
            reasons=reasons,
        )
        for tr in (btr, str_, ltr)
    }
    # The preview shows the mediator exactly what the parties will read.
    preview = await li.wait_for(lambda e: ltr.t("button.decision_issue") in e.button_texts)
    assert texts[ltr.language] in preview.text
    await li.press(ltr.t("button.decision_issue"))
    await li.wait_for(saying(ltr.t("decision.confirmed_ack", number="D1")))
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        news = await user.wait_for(saying(texts[tr.language]))
        assert news.button_texts == []  # nothing to mark done or confirm
    await stays_closed_fulfilled(bot, case.case_id, clock)
