"""The mediator sets the time the parties have to fulfil a decision: the builder asks for it
(the usual FULFILMENT_DAYS kept with one tap, or typed in days), and the decision's
obligations and its fulfilment deadline use it; the parties read it in their own language."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.decisions import FULFILMENT_DAYS_MAX
from flows.rules.lifecycle import DeadlineKind
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness
from tests.e2e.dispute_steps import containing, saying
from tests.e2e.test_decision import REASONS, _announced, _in_arbitration, _reasons_step
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat and mediators


async def test_the_mediator_sets_the_time_to_fulfil_a_decision(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _in_arbitration(bot, sandbox, catalogs, clock)
    await maria.send(f"/decide {case.filed_number}")
    await maria.wait_for(containing(mtr.t("decision.choose_outcome")))
    await maria.press(mtr.t("outcome.partial_refund"))
    await maria.wait_for(saying(mtr.t("builder.ask.partial", currency="USD")))
    await maria.send("400")
    await maria.wait_for(containing(mtr.t("builder.terms_so_far")))
    await maria.press(mtr.t("button.decision_next"))
    ask = mtr.t("decision.ask_days", days=7, max=FULFILMENT_DAYS_MAX)
    question = await maria.wait_for(saying(ask))
    assert mtr.t("button.decision_keep_days", days=7) in question.button_texts
    # Out of range: said with the range, the question asked again, nothing lost.
    await maria.send("120")
    await maria.wait_for(saying(mtr.t("error.decision.days_range", max=FULFILMENT_DAYS_MAX)))
    await maria.wait_for(lambda e: e.text == ask and e.message_id > question.message_id)
    await maria.send("14")
    await _reasons_step(maria, mtr, case)
    await maria.send(REASONS)
    decided_at = clock.now()
    due = decided_at + timedelta(days=14)
    preview = await maria.wait_for(lambda e: mtr.t("button.decision_issue") in e.button_texts)
    assert mtr.datetime(due) in preview.text
    await maria.press(mtr.t("button.decision_issue"))
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.due_at == due
    [fulfilment] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    assert fulfilment.kind is DeadlineKind.FULFILMENT and fulfilment.due_at == due
    until = decided_at + timedelta(days=3)
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        text = _announced(tr, case, "D1", "Maria", Decimal("400"), REASONS, duty, due, until)
        await user.wait_for(saying(text))
