"""A mediator's decision replaces the settlement: the English buyer and the Chinese supplier of
`open_case` settle on the claim (O1, a refund), the supplier marks O1 done, the buyer says it was
not, and the case goes to the mediators' pool. Maria takes it and decides a partial refund (O2);
the preview tells her O1 will be replaced, each party reads in their language that O1 is
cancelled, and once O2 is done and confirmed the case closes as fulfilled, never lapsing as
"not fulfilled" on O1. The clock moves; nothing sleeps.
"""

from __future__ import annotations

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, eventually, translator
from tests.e2e.dispute_steps import (
    accept_request,
    containing,
    open_case,
    saying,
    showing,
    stays_closed_fulfilled,
)
from tests.e2e.test_decision import (
    REASONS,
    _in,
    _keep_days,
    _reasons_step,
    _statements_round,
    _take_label,
)
from tests.e2e.test_mediator_pool import _mediator, _staff
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat and mediators


async def test_a_decision_over_a_disputed_settlement_replaces_it_and_closes_fulfilled(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    maria = _mediator(sandbox, "Maria")
    mtr = translator(catalogs, maria)
    for mediator in (maria, _mediator(sandbox, "Li")):
        await mediator.send("/start")
        await mediator.wait_for(lambda e: e.from_bot)
    # Settled on the claim: O1, the supplier's refund. Marked done, then disputed.
    await accept_request(case.supplier, str_)
    done = str_.t("button.mark_done", number="O1")
    await case.supplier.wait_for(showing(done))
    await case.supplier.press(done)
    await case.supplier.wait_for(saying(str_.t("obligation.ask_proof", number="O1")))
    await case.supplier.press(str_.t("button.no_proof"))
    question = await case.buyer.wait_for(lambda e: btr.t("button.not_done") in e.button_texts)
    await case.buyer.press(btr.t("button.not_done"), message=question.message_id)
    await case.buyer.wait_for(saying(btr.t("obligation.ask_not_done", number="O1", max=500)))
    await case.buyer.send("No refund has reached our account.")
    await eventually(lambda: _in(case, CaseState.MEDIATION))

    # Maria takes it from the pool, the statements round ends, she decides a partial refund.
    staff = _staff(sandbox)
    take = _take_label(sandbox, catalogs)
    post = await maria.wait_for(lambda e: take in e.button_texts, chat=staff)
    await maria.press(take, staff, message=post.message_id)
    await maria.wait_for(containing(mtr.t("card.title", number=case.number)))
    await _statements_round(bot, case, maria, mtr, clock)
    await maria.send(f"/decide {case.filed_number}")
    await maria.wait_for(containing(mtr.t("decision.choose_outcome")))
    await maria.press(mtr.t("outcome.partial_refund"))
    await maria.wait_for(saying(mtr.t("builder.ask.partial", currency="USD")))
    await maria.send("400")
    await maria.wait_for(containing(mtr.t("builder.terms_so_far")))
    await maria.press(mtr.t("button.decision_next"))
    await _keep_days(maria, mtr)
    await _reasons_step(maria, mtr, case)
    await maria.send(REASONS)
    # Before issuing she is told O1 will be replaced, and the parties' sentence is previewed.
    preview = await maria.wait_for(lambda e: mtr.t("button.decision_issue") in e.button_texts)
    plural = ("decision.preview_settlement", "decision.preview_settlement.plural")
    assert mtr.tn(*plural, 1, obligations="O1") in preview.text
    replaced = ("decision.settlement_replaced", "decision.settlement_replaced.plural")
    assert mtr.tn(*replaced, 1, obligations="O1") in preview.text
    assert "O2" in preview.text  # the decision's refund, numbered on from the settlement's
    await maria.press(mtr.t("button.decision_issue"))
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))

    # Each party reads, in their language, that the settlement's O1 is cancelled.
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        news = await user.wait_for(containing(tr.tn(*replaced, 1, obligations="O1")))
        assert "D1" in news.text and "O2" in news.text
    assert btr.tn(*replaced, 1, obligations="O1") != str_.tn(*replaced, 1, obligations="O1")
    statuses = [(o.number, o.status) for o in await bot.services.db.obligations.list(case.case_id)]
    assert statuses == [(1, "cancelled"), (2, "pending")]

    # D1's O2 done and confirmed: the case closes as fulfilled.
    mark = str_.t("button.mark_done", number="O2")
    await case.supplier.wait_for(showing(mark))
    await case.supplier.press(mark)
    await case.supplier.wait_for(containing(str_.t("obligation.ask_proof", number="O2")))
    await case.supplier.press(str_.t("button.no_proof"))
    await case.buyer.wait_for(lambda e: btr.t("button.confirm_done") in e.button_texts)
    await case.buyer.press(btr.t("button.confirm_done"))
    await case.buyer.wait_for(saying(btr.t("case.closed_fulfilled", number=case.number)))
    await case.supplier.wait_for(saying(str_.t("case.closed_fulfilled", number=case.number)))
    await stays_closed_fulfilled(bot, case.case_id, clock)
