"""A reconsideration waiting for the pool is told as one: the pool's reminder and overdue
notice and the parties' reminder and overdue news say "reconsideration of D1", not that the
case stays in mediation; the new mediator's card says why the case is here: the request's
reason and its new evidence, not the original escalation. English and Chinese throughout."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.mediator_pool import staff_translators
from flows.rules.lifecycle import DeadlineKind
from flows.sweep import sweep
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import containing, saying
from tests.e2e.test_decision import (
    _decide_partial,
    _in_arbitration,
    _take_label,
    ask_reconsideration,
)
from tests.e2e.test_mediator_pool import _mediator, _staff
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat and mediators

POST_FIELDS = ("number", "category", "amount", "age", "why", "languages", "due")
REASON = "Another 40 casings are cracked; the refund should be larger."


async def test_a_reconsiderations_reminders_overdue_news_and_card_say_reconsideration(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _in_arbitration(bot, sandbox, catalogs, clock)
    await _decide_partial(maria, mtr, case)
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    btr, str_ = case.btr, case.str_
    clock.advance(timedelta(hours=5))
    await ask_reconsideration(bot, case, clock, REASON)
    staff = _staff(sandbox)
    take = _take_label(sandbox, catalogs)
    staff_trs = staff_translators(bot.services)
    post = await maria.wait_for(lambda e: take in e.button_texts, chat=staff)
    for tr in staff_trs:  # the post too: a reconsideration does not stay in mediation
        fields = {**dict.fromkeys(POST_FIELDS, ""), "number": case.number}
        head = tr.t("pool.post_reconsideration", **fields).split("\n")[0]
        assert head in post.text
    li = _mediator(sandbox, "Li")
    ltr = translator(catalogs, li)
    pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
    [assignment] = [d for d in pending if d.kind is DeadlineKind.MEDIATOR_ASSIGNMENT]
    assert bot.app is not None

    # The reminder: the pool (both languages) and each party, as a reconsideration.
    clock.set(assignment.reminder_times[0] + timedelta(minutes=1))
    await sweep(bot.services, bot.app.bot)
    for tr in staff_trs:
        pool = tr.t(
            "pool.reminder_reconsideration",
            number=case.number,
            decision="D1",
            due=tr.datetime(assignment.due_at),
        )
        reminded = await maria.wait_for(containing(pool), chat=staff)
        assert tr.t("pool.reminder", number=case.number, due="")[:20] not in reminded.text
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        text = tr.t(
            "reminder.reconsideration_assignment",
            number=case.number,
            decision="D1",
            due=tr.datetime(assignment.due_at),
        )
        await user.wait_for(saying(text))
        assert not any(
            e.text.startswith(tr.t("reminder.mediator_assignment", number=case.number, due="")[:20])
            for e in user.transcript()
        )

    # Overdue: the pool and the parties, as a reconsideration.
    clock.set(assignment.due_at + timedelta(minutes=1))
    await sweep(bot.services, bot.app.bot)
    for tr in staff_trs:
        overdue = tr.t("pool.overdue_reconsideration", number=case.number, decision="D1")
        await maria.wait_for(containing(overdue), chat=staff)
    days = bot.services.policy.mediator_assignment_working_days
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        text = tr.t(
            "pool.overdue_parties_reconsideration", number=case.number, decision="D1", days=days
        )
        await user.wait_for(saying(text))

    # Li takes it: the card's "why" is the request, with its reason and new evidence.
    await li.press(take, staff, message=post.message_id)
    card = await li.wait_for(containing(ltr.t("card.title", number=case.number)))
    why = ltr.t(
        "card.why.reconsideration",
        decision="D1",
        by=ltr.t("role.buyer"),
        reason=REASON,
        evidence="E3",
    )
    assert why in card.text
    assert ltr.t("card.why", why="")[:4] not in card.text.replace(why, "")
