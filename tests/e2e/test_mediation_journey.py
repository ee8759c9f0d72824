"""Issue 9's first acceptance point, end to end through the sandbox with no shortcut through
the repositories: a silent supplier's case is reminded, escalates at the deadline, is posted in
the staff chat and taken by exactly one of two mediators pressing Take at once; the mediator
joins, requests evidence, opens the final statements round and decides a partial refund citing
E1; each party reads the decision in their own language; the refund is paid and confirmed; the
case closes. Then every transcript: every press answered, every message answered, no Bot API
violation.

The English buyer and the Chinese supplier of `open_case`; mediators Li (Chinese) and Maria
(English) in the forum staff chat of `test_mediator_pool`. The clock moves; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from bot.demo import PDF
from bot.demo_dispute import fulfil_with_receipt
from bot.demo_mediation import (
    decide_partial_refund,
    give_evidence,
    give_statement,
    join_case,
    open_statements,
    request_evidence,
    take_label,
)
from bot.sandbox import Sandbox, SandboxUser
from flows.clock import FrozenClock
from flows.proposal_render import role_name
from flows.rules.lifecycle import CaseState, ClosingReason, DeadlineKind, Role
from flows.sweep import sweep
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import Case, open_case, saying
from tests.e2e.test_mediator_pool import _mediator, _staff
from tests.e2e.test_mediator_pool import settings as settings  # the forum staff chat

REASONS = "The photos E1 show 120 cracked casings; the loading photos E3 do not answer them."
WHAT = "Loading photos of the casings"


async def _sweep(bot: BotHarness) -> None:
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)


def _every_press_and_message_answered(sandbox: Sandbox, people: list[SandboxUser]) -> None:
    """No press left without answerCallbackQuery; in each private chat, every message a person
    sent is followed by something from the bot."""
    assert sandbox.pending_queries == {}, sandbox.pending_queries
    for person in people:
        entries = person.transcript()
        last_bot = max((i for i, e in enumerate(entries) if e.from_bot), default=-1)
        unanswered = [e.text for e in entries[last_bot + 1 :] if not e.from_bot]
        assert unanswered == [], (person.full_name, unanswered)


async def _silent_supplier_escalates(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> Case:
    """The supplier joins and says nothing: the buyer is reminded; at the deadline the case goes
    to mediation and both parties are told in their languages."""
    case = await open_case(bot, sandbox, catalogs, clock)
    for name in ("Li", "Maria"):
        mediator = _mediator(sandbox, name)
        await mediator.send("/start")
        await mediator.wait_for(lambda e: e.from_bot)
    [respond] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    assert respond.kind is DeadlineKind.SUPPLIER_RESPONSE
    assert len(respond.reminder_times) == 2  # at half time and a day before
    btr, str_ = case.btr, case.str_
    reminder = btr.t(
        "reminder.supplier_response", number=case.number, due=btr.datetime(respond.due_at)
    )
    for count, moment in enumerate(respond.reminder_times, start=1):
        clock.set(moment + timedelta(minutes=1))
        await _sweep(bot)
        await case.buyer.wait_for(saying(reminder))
        assert case.buyer.bot_texts().count(reminder) == count
        assert await case.state() is CaseState.AWAITING_SUPPLIER
    clock.set(respond.due_at + timedelta(minutes=1))
    await _sweep(bot)
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        escalated = tr.t(
            "outcome_applied.supplier_silent", number=case.number, due=tr.datetime(respond.due_at)
        )
        await user.wait_for(saying(escalated))
    assert await case.state() is CaseState.MEDIATION
    return case


async def _race_for_take(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, case: Case
) -> tuple[SandboxUser, Translator]:
    """The post in the staff chat; Li and Maria press Take at once; exactly one gets it."""
    staff = _staff(sandbox)
    li, maria = _mediator(sandbox, "Li"), _mediator(sandbox, "Maria")
    take = take_label([translator(catalogs, maria), translator(catalogs, li)])
    post = await maria.wait_for(lambda e: take in e.button_texts, chat=staff)
    why = translator(catalogs, maria).t(
        "pool.why.supplier_silent",
        state=translator(catalogs, maria).t("state.awaiting_supplier"),
    )
    assert case.number in post.text and why in post.text
    answers = await asyncio.gather(
        li.press(take, staff, message=post.message_id),
        maria.press(take, staff, message=post.message_id),
    )
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.mediator_id in (li.id, maria.id)
    winner, loser = (li, maria) if stored.mediator_id == li.id else (maria, li)
    wtr, ltr = translator(catalogs, winner), translator(catalogs, loser)
    by_user = {a.user_id: a for a in answers}
    assert by_user[winner.id].text == wtr.t("pool.taken_you", number=case.number)
    assert by_user[loser.id].text == ltr.t(
        "pool.taken_already", number=case.number, name=winner.first_name
    )
    taken = wtr.t("pool.post_taken", number=case.number, name=winner.first_name)
    await winner.wait_for(lambda e: e.message_id == post.message_id and taken in e.text, chat=staff)
    return winner, wtr


async def test_a_silent_suppliers_case_is_mediated_decided_fulfilled_and_closed(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await _silent_supplier_escalates(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    mediator, mtr = await _race_for_take(bot, sandbox, catalogs, case)

    # The context card in the mediator's language; the one-time link; announced in both.
    card = await join_case(mediator, mtr, case.number)
    assert mtr.t("card.evidence_header") in card.text and "E1" in card.text
    for role in (Role.BUYER, Role.SUPPLIER):  # each party's one case with the service
        history = mtr.tn(
            "card.history",
            "card.history.plural",
            1,
            party=role_name(mtr, role),
            outcomes=mtr.t("card.history.none_closed"),
        )
        assert history in card.text

    def joined(tr: Translator) -> str:
        return tr.t("mediator.joined_chat", name=mediator.full_name, number=case.number)

    await case.buyer.wait_for(
        lambda e: joined(btr) in e.text and joined(str_) in e.text, chat=case.group
    )

    # A request for evidence from the supplier, 2 days: the supplier reads it in Chinese with
    # the deadline, the dispute chat in both languages.
    request_due = clock.now() + timedelta(days=2)
    party = role_name(mtr, Role.SUPPLIER)
    await request_evidence(mediator, mtr, case.number, party, WHAT, 2)

    def news(tr: Translator) -> str:
        return tr.t(
            "evidence_request.news",
            number=case.number,
            request="R1",
            party=role_name(tr, Role.SUPPLIER),
            what=WHAT,
            due=tr.datetime(request_due),
        )

    await case.supplier.wait_for(saying(news(str_)))
    await case.buyer.wait_for(
        lambda e: news(btr) in e.text and news(str_) in e.text, chat=case.group
    )
    # The supplier answers it with a file: E3, the request met, the mediator told.
    clock.advance(timedelta(hours=20))
    loading = PDF.replace(b"1 0 obj", b"1 0 obj % loading")
    await give_evidence(
        case.supplier, str_, case.filed_number, loading, "loading.pdf", "装货照片", "tag.delivery"
    )
    met = mtr.t(
        "evidence_request.met", number=case.number, party=party, request="R1", evidence="E3"
    )
    await mediator.wait_for(saying(met))

    # The final statements round: both parties are told in their languages with the deadline;
    # the buyer states by /statement, the supplier by the news' button.
    await open_statements(mediator, mtr, case.number)
    statements_due = clock.now() + timedelta(days=3)
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        opened = tr.t("statements.opened", number=case.number, due=tr.datetime(statements_due))
        await user.wait_for(saying(opened))
    await give_statement(
        case.buyer, btr, case.number, "120 casings arrived cracked; see E1.", by_button=False
    )
    await give_statement(
        case.supplier, str_, case.number, "货物出厂时完好，见 E3。", by_button=True
    )
    for who, text in (
        (Role.BUYER, "120 casings arrived cracked; see E1."),
        (Role.SUPPLIER, "货物出厂时完好，见 E3。"),
    ):
        statement = mtr.t(
            "statement.news", number=case.number, party=role_name(mtr, who), text=text
        )
        await mediator.wait_for(saying(statement))
    assert await case.state() is CaseState.ARBITRATION

    # Opening the round sent the mediator the panel as it now is, the decision's button in it.
    assert any(mtr.t("button.decide") in e.button_texts for e in mediator.transcript())

    # The decision through the panel's Decide: a partial refund of 400 with reasons citing E1.
    clock.advance(timedelta(hours=3))
    decided_at = clock.now()
    await decide_partial_refund(
        mediator, mtr, case.filed_number, "400", "USD", "E1, E2, E3", REASONS
    )
    # The card /case showed holds both final statements, and the claim's own evidence line
    # does not say "none" above the index that lists E1..E3.
    title = mtr.t("card.title", number=case.number)
    card = [e for e in mediator.transcript() if e.text.startswith(title)][-1]
    for who, text in (
        (Role.BUYER, "120 casings arrived cracked; see E1."),
        (Role.SUPPLIER, "货物出厂时完好，见 E3。"),
    ):
        assert mtr.t("card.statement", by=role_name(mtr, who), text=text) in card.text
    assert mtr.t("claim.summary.no_evidence") not in card.text
    assert await case.state() is CaseState.DECIDED
    fulfilment = next(
        d
        for d in await bot.services.db.deadlines.pending_for_case(case.case_id)
        if d.kind is DeadlineKind.FULFILMENT
    )
    duty_due = fulfilment.due_at
    assert duty_due == decided_at + timedelta(days=7)
    until = decided_at + timedelta(days=3)
    # Each party reads it privately in their own language, with the supplier's obligation O1,
    # its deadline and the reconsideration window in their own time zone.
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        refund = tr.t(
            "obligation.refund",
            number="O1",
            party=tr.t("role.supplier"),
            amount=tr.money(Decimal("400"), "USD"),
            due=tr.datetime(duty_due),
        )
        outcome = "• " + tr.t("term.partial_amount", amount=tr.money(Decimal("400"), "USD"))
        text = tr.t(
            "decision.announced",
            number="D1",
            case=case.number,
            name=mediator.first_name,
            outcome=outcome,
            reasons=REASONS,
            obligations=refund,
            due=tr.datetime(duty_due),
            until=tr.datetime(until),
            filed=case.filed_number,
        )
        await user.wait_for(saying(text))

    # The supplier marks the refund paid with a receipt; the buyer confirms: closed, fulfilled.
    clock.advance(timedelta(days=2))
    await fulfil_with_receipt(case.supplier, str_, case.buyer, btr, "退款回单")
    for user, tr in ((case.buyer, btr), (case.supplier, str_)):
        await user.wait_for(saying(tr.t("case.closed_fulfilled", number=case.number)))
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.state is CaseState.CLOSED
    assert stored.closed_reason is ClosingReason.FULFILLED

    # Everyone's transcripts: every press and every message answered, no Bot API violation.
    li, maria = _mediator(sandbox, "Li"), _mediator(sandbox, "Maria")
    _every_press_and_message_answered(sandbox, [case.buyer, case.supplier, li, maria])
    sandbox.assert_no_violations()
