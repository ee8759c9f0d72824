"""The mediator's decision and its reconsideration end to end (issue 9, parts 2 and 3).

The English buyer and the Chinese supplier of `open_case`; mediators Li (Chinese) and Maria
(English), in the staff chat of `test_mediator_pool`. A silent supplier's case escalates, a
mediator takes it and opens the final statements round from the panel (no decision while it is
open), which ends; then the decision. The clock moves; nothing sleeps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from bot.demo import PDF
from bot.sandbox import Sandbox, SandboxUser
from flows.callbacks import DecisionStep, encode
from flows.clock import FrozenClock
from flows.decision_builder import DecisionAction
from flows.rules.lifecycle import CaseState, ClosingReason, DeadlineKind, Role
from flows.sweep import sweep
from locales.i18n import Catalogs, Translator
from storage import Obligation
from tests.e2e.conftest import BotHarness, eventually, press_data, translator
from tests.e2e.dispute_steps import Case, containing, saying
from tests.e2e.test_mediator_pool import _escalated, _mediator, _staff
from tests.e2e.test_mediator_pool import settings as settings  # the staff chat and mediators

PAID = Decimal("4250.00")
REASONS = "The photos E1 show 120 cracked casings; the supplier sent no answer."


def _take_label(sandbox: Sandbox, catalogs: Catalogs) -> str:
    maria, li = _mediator(sandbox, "Maria"), _mediator(sandbox, "Li")
    return " / ".join(translator(catalogs, m).t("button.take_case") for m in (maria, li))


async def _in_arbitration(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, name: str = "Maria"
) -> tuple[Case, SandboxUser, Translator]:
    """Escalated, taken by `name`, then moved to arbitration by that mediator."""
    case = await _escalated(bot, sandbox, catalogs, clock)
    mediator = _mediator(sandbox, name)
    tr = translator(catalogs, mediator)
    staff = _staff(sandbox)
    take = _take_label(sandbox, catalogs)
    await mediator.wait_for(lambda e: take in e.button_texts, chat=staff)
    await mediator.press(take, staff)
    await mediator.wait_for(containing(tr.t("card.title", number=case.number)))
    await _statements_round(bot, case, mediator, tr, clock)
    return case, mediator, tr


async def _statements_round(
    bot: BotHarness, case: Case, mediator: SandboxUser, tr: Translator, clock: FrozenClock
) -> None:
    """The mediator opens the final statements round from the panel; while it is open no
    decision can be made (the parties' last word comes first); then it ends (clock, sweep)."""
    await mediator.wait_for(lambda e: tr.t("button.open_statements") in e.button_texts)
    await mediator.press(tr.t("button.open_statements"))
    await mediator.wait_for(lambda e: tr.t("button.confirm_statements") in e.button_texts)
    await mediator.press(tr.t("button.confirm_statements"))
    await eventually(lambda: _in(case, CaseState.ARBITRATION))
    pending = await bot.services.db.deadlines.pending_for_case(case.case_id)
    [statements] = [d for d in pending if d.kind is DeadlineKind.ARBITRATION_STATEMENTS]
    await mediator.send(f"/decide {case.filed_number}")
    too_early = tr.t(
        "decision.statements_open", number=case.number, due=tr.datetime(statements.due_at)
    )
    await mediator.wait_for(saying(too_early))
    clock.set(statements.due_at + timedelta(minutes=1))
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)


async def _in(case: Case, state: CaseState) -> bool:
    return await case.state() is state


async def _keep_days(mediator: SandboxUser, tr: Translator, days: int = 7) -> None:
    """The time to fulfil: the usual FULFILMENT_DAYS kept with one tap."""
    keep = tr.t("button.decision_keep_days", days=days)
    await mediator.wait_for(lambda e: keep in e.button_texts)
    await mediator.press(keep)


async def _reasons_step(mediator: SandboxUser, tr: Translator, case: Case) -> None:
    await mediator.wait_for(
        containing(tr.t("decision.ask_reasons", number=case.number, items="E1, E2"))
    )


async def _decide_partial(
    mediator: SandboxUser, tr: Translator, case: Case, amount: str = "400", reasons: str = REASONS
) -> None:
    """/decide, a partial refund of `amount`, reasons, preview, Issue."""
    await mediator.send(f"/decide {case.filed_number}")
    await mediator.wait_for(containing(tr.t("decision.choose_outcome")))
    await mediator.press(tr.t("outcome.partial_refund"))
    await mediator.wait_for(saying(tr.t("builder.ask.partial", currency="USD")))
    await mediator.send(amount)
    await mediator.wait_for(containing(tr.t("builder.terms_so_far")))
    await mediator.press(tr.t("button.decision_next"))
    await _keep_days(mediator, tr)
    await _reasons_step(mediator, tr, case)
    await mediator.send(reasons)
    preview = await mediator.wait_for(lambda e: tr.t("button.decision_issue") in e.button_texts)
    assert reasons in preview.text and tr.t("decision.preview", text="")[:20] in preview.text
    await mediator.press(tr.t("button.decision_issue"))


def _announced(
    tr: Translator,
    case: Case,
    number: str,
    name: str,
    amount: Decimal,
    reasons: str,
    duty: Obligation,
    due: datetime,
    until: datetime,
) -> str:
    refund = tr.t(
        "obligation.refund",
        number=f"O{duty.number}",
        party=tr.t("role.supplier"),
        amount=tr.money(amount, "USD"),
        due=tr.datetime(duty.due_at),
    )
    outcome = "• " + tr.t("term.partial_amount", amount=tr.money(amount, "USD"))
    return tr.t(
        "decision.announced",
        number=number,
        case=case.number,
        name=name,
        outcome=outcome,
        reasons=reasons,
        obligations=refund,
        due=tr.datetime(due),
        until=tr.datetime(until),
        filed=case.filed_number,
    )


MORE_CRACKS = "Another 40 casings are cracked; the refund should be larger."


async def ask_reconsideration(bot: BotHarness, case: Case, clock: FrozenClock, reason: str) -> None:
    """The buyer adds new evidence (E3, a statement) and asks to reconsider D1, with `reason`."""
    await bot.services.db.evidence.add(
        case.case_id,
        case.buyer.id,
        Role.BUYER,
        "statement",
        "More cracks",
        "defect",
        clock.now(),
        text="Carton 9 has 40 more cracked casings.",
    )
    await case.buyer.send(f"/reconsider {case.filed_number}")
    ask = case.btr.t("reconsider.ask_reason", decision="D1", evidence="E3")
    await case.buyer.wait_for(saying(ask))
    await case.buyer.send(reason)


async def test_a_partial_refund_decided_with_reasons_is_fulfilled_and_closes_the_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _in_arbitration(bot, sandbox, catalogs, clock)
    decided_at = clock.now()
    await _decide_partial(maria, mtr, case)
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.state is CaseState.DECIDED
    [decision] = await bot.services.db.decisions.list(case.case_id)
    assert (decision.number, decision.cited, decision.reasons) == (1, [1], REASONS)
    [duty] = await bot.services.db.obligations.list(case.case_id)
    assert duty.decision_id == decision.id and duty.amount == Decimal("400")
    [fulfilment] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    assert fulfilment.kind is DeadlineKind.FULFILMENT
    until = decided_at + timedelta(days=3)
    # Each party reads it privately in their own language, with their obligations and the
    # deadlines in their own time zone; the dispute chat reads both languages.
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        text = _announced(
            tr, case, "D1", "Maria", Decimal("400"), REASONS, duty, fulfilment.due_at, until
        )
        await user.wait_for(saying(text))
    both = [
        _announced(tr, case, "D1", "Maria", Decimal("400"), REASONS, duty, fulfilment.due_at, until)
        for tr in (case.btr, case.str_)
    ]
    await case.buyer.wait_for(lambda e: all(t in e.text for t in both), chat=case.group)
    # Fulfilment exactly as a settlement's: the supplier marks it paid, the buyer confirms.
    str_, btr = case.str_, case.btr
    await case.supplier.press(str_.t("button.mark_done", number="O1"))
    await case.supplier.wait_for(containing(str_.t("obligation.ask_proof", number="O1")))
    await case.supplier.press(str_.t("button.no_proof"))
    await case.buyer.wait_for(lambda e: btr.t("button.confirm_done") in e.button_texts)
    await case.buyer.press(btr.t("button.confirm_done"))
    await case.buyer.wait_for(saying(btr.t("case.closed_fulfilled", number=case.number)))
    closed = await bot.services.db.cases.get(case.case_id)
    assert closed is not None and closed.state is CaseState.CLOSED
    assert closed.closed_reason is ClosingReason.FULFILLED
    # Three days after the decision (not the closing), reconsideration is refused.
    clock.set(decided_at + timedelta(days=3, minutes=1))
    await case.buyer.send(f"/reconsider {case.filed_number}")
    await case.buyer.wait_for(
        saying(
            btr.t(
                "reconsider.too_late",
                number=case.number,
                decision="D1",
                until=btr.datetime(until),
            )
        )
    )
    after = await bot.services.db.cases.get(case.case_id)
    assert after is not None and after.state is CaseState.CLOSED and after.reconsiderations == 0


async def test_decisions_that_must_be_refused_change_nothing(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await _escalated(bot, sandbox, catalogs, clock)
    maria, li = _mediator(sandbox, "Maria"), _mediator(sandbox, "Li")
    mtr, ltr = translator(catalogs, maria), translator(catalogs, li)
    staff = _staff(sandbox)
    await maria.wait_for(lambda e: _take_label(sandbox, catalogs) in e.button_texts, chat=staff)
    await maria.press(_take_label(sandbox, catalogs), staff)
    await maria.wait_for(containing(mtr.t("card.title", number=case.number)))
    # Not in arbitration yet: the case's own mediator is told so.
    await maria.send(f"/decide {case.filed_number}")
    await maria.wait_for(saying(mtr.t("decision.not_arbitration", number=case.number)))
    await _statements_round(bot, case, maria, mtr, clock)
    # Another mediator, a party: each refused in their own language.
    await li.send(f"/decide {case.filed_number}")
    await li.wait_for(saying(ltr.t("decision.not_your_case", number=case.number)))
    await case.buyer.send(f"/decide {case.filed_number}")
    await case.buyer.wait_for(saying(case.btr.t("decision.not_your_case", number=case.number)))
    # A refund above the amount paid: refused with the amount, the question asked again.
    await maria.send(f"/decide {case.filed_number}")
    await maria.wait_for(containing(mtr.t("decision.choose_outcome")))
    await maria.press(mtr.t("outcome.partial_refund"))
    ask = mtr.t("builder.ask.partial", currency="USD")
    await maria.wait_for(saying(ask))
    await maria.send("5000")
    refused = mtr.t("error.proposal.refund_exceeds_paid", paid=mtr.money(PAID, "USD"))
    await maria.wait_for(saying(refused))
    await maria.wait_for(lambda e: e.text == ask and e.message_id > 0)
    await maria.send("25%")
    await maria.wait_for(containing(mtr.t("builder.terms_so_far")))
    await maria.press(mtr.t("button.decision_next"))
    await _keep_days(maria, mtr)
    await _reasons_step(maria, mtr, case)
    # "Issue" without reasons (a forged or an old press at this step): refused, asked again.
    asked = await maria.wait_for(lambda e: mtr.t("button.decision_no_evidence") in e.button_texts)
    issue = encode(DecisionStep(case.case_id, int(DecisionAction.ISSUE)))
    await press_data(maria, asked.message_id, issue)
    await maria.wait_for(saying(mtr.t("error.answer.use_buttons")))
    await maria.wait_for(lambda e: e.message_id > asked.message_id and e.text == asked.text)
    # Reasons that cite nothing, or cite an item the case does not have.
    await maria.send("The supplier is plainly at fault.")
    await maria.wait_for(saying(mtr.t("error.decision.cite_evidence")))
    await maria.send("See E9: the casings were cracked.")
    await maria.wait_for(saying(mtr.t("error.decision.cites_missing", number="E9")))
    assert await bot.services.db.decisions.list(case.case_id) == []
    assert await case.state() is CaseState.ARBITRATION
    # Good reasons; then "Issue" pressed twice (a double tap, a re-delivered press).
    await maria.send(REASONS)
    preview = await maria.wait_for(lambda e: mtr.t("button.decision_issue") in e.button_texts)
    first = await press_data(maria, preview.message_id, issue)
    second = await press_data(maria, preview.message_id, issue)
    assert first is not None and second is not None
    assert second.text == mtr.t("decision.not_arbitration", number=case.number)
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    assert len(await bot.services.db.decisions.list(case.case_id)) == 1
    assert len(await bot.services.db.obligations.list(case.case_id)) == 1
    # Decided now: no second decision.
    await maria.send(f"/decide {case.filed_number}")
    await maria.wait_for(saying(mtr.t("decision.not_arbitration", number=case.number)))
    assert len(await bot.services.db.decisions.list(case.case_id)) == 1


async def test_a_dismissal_closes_the_case_with_reasons_why_no_evidence_applies(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, li, ltr = await _in_arbitration(bot, sandbox, catalogs, clock, name="Li")
    await li.send(f"/decide {case.filed_number}")
    await li.wait_for(containing(ltr.t("decision.choose_outcome")))
    await li.press(ltr.t("button.decision_dismiss"))
    await _reasons_step(li, ltr, case)
    await li.press(ltr.t("button.decision_no_evidence"))
    ask = ltr.t("decision.ask_reasons_no_evidence", number=case.number, items="E1, E2")
    await li.wait_for(saying(ask))
    reasons = "买家的索赔超出了订单约定的验收期限，与证据内容无关。"
    await li.send(reasons)
    await li.wait_for(lambda e: ltr.t("button.decision_issue") in e.button_texts)
    await li.press(ltr.t("button.decision_issue"))
    await li.wait_for(saying(ltr.t("decision.issued_ack", number="D1")))
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.state is CaseState.CLOSED
    assert stored.closed_reason is ClosingReason.DISMISSED
    [decision] = await bot.services.db.decisions.list(case.case_id)
    assert decision.outcome == "dismissal" and decision.no_evidence and decision.cited == []
    until = clock.now() + timedelta(days=3)
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        text = tr.t(
            "decision.announced_dismissal",
            number="D1",
            case=case.number,
            name="Li",
            outcome=tr.t("decision.outcome_dismissal"),
            reasons=reasons,
            until=tr.datetime(until),
            filed=case.filed_number,
        )
        await user.wait_for(saying(text))
    assert await bot.services.db.obligations.list(case.case_id) == []
    # The case is closed, yet within the window the buyer gives new evidence privately and
    # asks for reconsideration: back to arbitration, for another mediator.
    btr, buyer = case.btr, case.buyer
    clock.advance(timedelta(hours=2))
    await buyer.send(f"/evidence {case.filed_number}")
    await buyer.wait_for(saying(btr.t("evidence.private.ask_file", case=case.number)))
    await buyer.send_document(
        PDF.replace(b"1 0 obj", b"1 0 obj % order terms"), "po.pdf", "application/pdf"
    )
    await buyer.wait_for(saying(btr.t("evidence.private.ask_label")))
    await buyer.send("Order terms: 30 days to inspect")
    await buyer.wait_for(containing(btr.t("evidence.private.hint")))
    await buyer.press(btr.t("tag.contract"))
    await buyer.wait_for(containing("E3"))
    await buyer.send(f"/reconsider {case.filed_number}")
    await buyer.wait_for(saying(btr.t("reconsider.ask_reason", decision="D1", evidence="E3")))
    await buyer.send("The order gives 30 days to inspect; E3 shows it.")
    await buyer.wait_for(containing("E3 shows it"))
    reopened = await bot.services.db.cases.get(case.case_id)
    assert reopened is not None and reopened.state is CaseState.ARBITRATION
    assert reopened.mediator_id is None and reopened.closed_reason is None


async def test_reconsideration_goes_to_another_mediator_who_replaces_the_decision(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _in_arbitration(bot, sandbox, catalogs, clock)
    await _decide_partial(maria, mtr, case)
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    str_ = case.str_
    until = clock.now() + timedelta(days=3)
    clock.advance(timedelta(hours=5))
    # Without new evidence: refused, nothing changed.
    await case.supplier.send(f"/reconsider {case.filed_number}")
    await case.supplier.wait_for(
        saying(
            str_.t(
                "reconsider.no_new_evidence",
                number=case.number,
                decision="D1",
                until=str_.datetime(until),
                filed=case.filed_number,
            )
        )
    )
    assert await case.state() is CaseState.DECIDED
    # New evidence after the decision (the private /evidence flow is tested on its own).
    await bot.services.db.evidence.add(
        case.case_id,
        case.supplier.id,
        Role.SUPPLIER,
        "statement",
        "退款记录",
        "payment",
        clock.now(),
        text="已于 11 月 20 日退款 300 美元。",
    )
    await case.supplier.send(f"/reconsider {case.filed_number}")
    await case.supplier.wait_for(
        saying(str_.t("reconsider.ask_reason", decision="D1", evidence="E3"))
    )
    reason = "我方已退款 300 美元，见 E3。"
    await case.supplier.send(reason)
    news = case.btr.t(
        "reconsider.requested_news",
        number=case.number,
        decision="D1",
        by=case.btr.t("role.supplier"),
        reason=reason,
        evidence="E3",
    )
    await case.buyer.wait_for(saying(news))
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.state is CaseState.ARBITRATION
    assert stored.mediator_id is None and stored.reconsiderations == 1
    # The decision's obligations are on hold: the supplier's O1 button refuses.
    answer = await case.supplier.press(str_.t("button.mark_done", number="O1"))
    assert answer.text == str_.t("obligation.case_moved")
    # Posted to the pool as a reconsideration of D1; the first mediator may not take it.
    staff = _staff(sandbox)
    take = _take_label(sandbox, catalogs)
    why = mtr.t("pool.why.reconsideration", decision="D1", by=mtr.t("role.supplier"), reason=reason)
    post = await maria.wait_for(lambda e: take in e.button_texts and why in e.text, chat=staff)
    refused = await maria.press(take, staff, message=post.message_id)
    assert refused.text == mtr.t(
        "pool.reconsideration_not_first", number=case.number, decision="D1"
    )
    li = _mediator(sandbox, "Li")
    ltr = translator(catalogs, li)
    taken = await li.press(take, staff, message=post.message_id)
    assert taken.text == ltr.t("pool.taken_you", number=case.number)
    card = await li.wait_for(containing(ltr.t("card.title", number=case.number)))
    # The card says why the case is here: the request, not the original escalation.
    why = ltr.t(
        "card.why.reconsideration",
        decision="D1",
        by=ltr.t("role.supplier"),
        reason=reason,
        evidence="E3",
    )
    assert why in card.text
    brief = await li.wait_for(lambda e: reason in e.text and e.message_id != card.message_id)
    assert REASONS in brief.text and "/decide" in brief.text
    # Li replaces D1 with a full refund.
    await li.send(f"/decide {case.filed_number}")
    menu = await li.wait_for(containing(ltr.t("decision.reconsidering", decision="D1")))
    assert ltr.t("button.decision_confirm", decision="D1") in menu.button_texts
    await li.press(ltr.t("outcome.full_refund"))
    await li.wait_for(containing(ltr.t("builder.terms_so_far")))
    await li.press(ltr.t("button.decision_next"))
    await _keep_days(li, ltr)
    await li.wait_for(containing("E1, E2, E3"))
    reasons2 = "E3 只是供应商的陈述，没有银行回单；E1 的照片显示全部外壳破裂，应全额退款。"
    await li.send(reasons2)
    await li.wait_for(lambda e: ltr.t("button.decision_issue") in e.button_texts)
    await li.press(ltr.t("button.decision_issue"))
    await li.wait_for(saying(ltr.t("decision.issued_ack", number="D2")))
    for user in (case.buyer, case.supplier):
        await user.wait_for(lambda e: reasons2 in e.text and "D2" in e.text)
    d1, d2 = await bot.services.db.decisions.list(case.case_id)
    assert (d1.status, d2.status, d2.replaces) == ("replaced", "in_force", d1.id)
    duties = await bot.services.db.obligations.list(case.case_id)
    assert [(o.number, o.status, o.decision_id) for o in duties] == [
        (1, "cancelled", d1.id),
        (2, "pending", d2.id),
    ]
    assert await case.state() is CaseState.DECIDED
    # The history shows both decisions, each with its reasons.
    events = await bot.services.db.history.list(case.case_id)
    issued = [e.payload for e in events if e.kind == "decision.issued"]
    assert [(p["number"], p["reasons"], p["replaces"]) for p in issued] == [
        (1, REASONS, None),
        (2, reasons2, 1),
    ]
    # A second request, by the other party: refused, nothing changed.
    await case.buyer.send(f"/reconsider {case.filed_number}")
    await case.buyer.wait_for(saying(case.btr.t("reconsider.already", number=case.number)))
    assert await case.state() is CaseState.DECIDED


async def test_the_new_mediator_may_confirm_the_decision_and_fulfilment_goes_on(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _in_arbitration(bot, sandbox, catalogs, clock)
    await _decide_partial(maria, mtr, case)
    await maria.wait_for(saying(mtr.t("decision.issued_ack", number="D1")))
    btr = case.btr
    clock.advance(timedelta(days=1))
    await ask_reconsideration(bot, case, clock, MORE_CRACKS)
    staff = _staff(sandbox)
    take = _take_label(sandbox, catalogs)
    li = _mediator(sandbox, "Li")
    ltr = translator(catalogs, li)
    post = await li.wait_for(lambda e: take in e.button_texts, chat=staff)
    await li.press(take, staff, message=post.message_id)
    await li.wait_for(containing(ltr.t("card.title", number=case.number)))
    await li.send(f"/decide {case.filed_number}")
    keep = ltr.t("button.decision_confirm", decision="D1")
    await li.wait_for(lambda e: keep in e.button_texts)
    await li.press(keep)
    await li.wait_for(saying(ltr.t("decision.ask_reasons", number=case.number, items="E1, E2, E3")))
    reasons = "E3 是买家自己的陈述，没有照片；E1 的照片已在 D1 中计入。"
    await li.send(reasons)
    await li.wait_for(lambda e: ltr.t("button.decision_issue") in e.button_texts)
    await li.press(ltr.t("button.decision_issue"))
    await li.wait_for(saying(ltr.t("decision.confirmed_ack", number="D1")))
    assert await case.state() is CaseState.DECIDED
    [fulfilment] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    for user, tr in ((case.buyer, btr), (case.supplier, case.str_)):
        text = tr.t(
            "decision.confirmed",
            number="D1",
            case=case.number,
            name="Li",
            reasons=reasons,
            due=tr.datetime(fulfilment.due_at),
        )
        await user.wait_for(saying(text))
    # The obligation's button comes back with the news, and fulfilment goes on.
    str_ = case.str_
    confirmed = await case.supplier.wait_for(containing(reasons))
    assert str_.t("button.mark_done", number="O1") in confirmed.button_texts
    answer = await case.supplier.press(
        str_.t("button.mark_done", number="O1"), message=confirmed.message_id
    )
    assert answer.text != str_.t("obligation.case_moved")
    await case.supplier.wait_for(containing(str_.t("obligation.ask_proof", number="O1")))
    assert [d.status for d in await bot.services.db.decisions.list(case.case_id)] == ["in_force"]
