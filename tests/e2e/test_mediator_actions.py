"""The mediator's actions in a case, end to end: the panel, requests for evidence (met, lapsed,
a late item accepted), the final statements round and the arbitration deadlines, the mediation
deadline opening the round itself, and refusals of everyone but the case's own mediator.

The English buyer and the Chinese supplier of `open_case`; mediators Li (Chinese) and Maria
(English) in the staff chat. The clock moves; nothing sleeps.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.demo import PDF
from bot.sandbox import Sandbox, SandboxChat, SandboxServer, SandboxUser
from bot.sandbox.state import MemberState
from flows.callbacks import OpenStatements, RequestEvidence, encode
from flows.clock import FrozenClock
from flows.proposal_render import role_name
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from flows.sweep import sweep
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import (
    STAFF_TITLE,
    BotHarness,
    bot_settings,
    press_data,
    staff_chat,
    translator,
)
from tests.e2e.dispute_steps import Case, containing, open_case, saying

WHAT = "Loading photos of the casings"
WHAT_2 = "The courier's damage report"


def _staff(sandbox: Sandbox) -> SandboxChat:
    return next(c for c in sandbox.chats.values() if c.title == STAFF_TITLE)


def _mediator(sandbox: Sandbox, name: str) -> SandboxUser:
    return next(u for u in sandbox.users.values() if u.first_name == name)


@pytest.fixture
def settings(server: SandboxServer, sandbox: Sandbox, tmp_path: Path) -> Settings:
    staff = staff_chat(sandbox)
    for name, language in (("Li", "zh-hans"), ("Maria", "en")):
        user = sandbox.user(name, language_code=language)
        staff.member_states[user.id] = MemberState(user.id, "member")
    return bot_settings(server, tmp_path, mediator_chat_id=staff.id)


async def _sweep(bot: BotHarness) -> None:
    assert bot.app is not None
    await sweep(bot.services, bot.app.bot)


async def _taken(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, name: str
) -> tuple[Case, SandboxUser, Translator]:
    """A silent supplier's case escalates; mediator `name` takes it and gets their panel."""
    case = await open_case(bot, sandbox, catalogs, clock)
    for who in ("Li", "Maria"):
        mediator = _mediator(sandbox, who)
        await mediator.send("/start")
        await mediator.wait_for(lambda e: e.from_bot)
    clock.advance(timedelta(days=3, minutes=1))
    await _sweep(bot)
    assert await case.state() is CaseState.MEDIATION
    staff = _staff(sandbox)
    mediator = _mediator(sandbox, name)
    mtr = translator(catalogs, mediator)
    take = " / ".join(
        translator(catalogs, _mediator(sandbox, who)).t("button.take_case")
        for who in ("Maria", "Li")
    )
    await mediator.wait_for(lambda e: take in e.button_texts, chat=staff)
    await mediator.press(take, staff)
    panel = await mediator.wait_for(
        containing(mtr.t("mediator.panel", number=case.number)), timeout=10
    )
    assert mtr.t("button.request_evidence") in panel.button_texts
    assert mtr.t("button.open_statements") in panel.button_texts
    assert mtr.t("button.hand_back") in panel.button_texts
    return case, mediator, mtr


async def _request(
    mediator: SandboxUser, mtr: Translator, case: Case, what: str, days: int
) -> None:
    await mediator.press(mtr.t("button.request_evidence"))
    await mediator.wait_for(containing(mtr.t("mediator.request_which", number=case.number)))
    await mediator.press(mtr.t("button.request_from_supplier"))
    party = role_name(mtr, Role.SUPPLIER)
    await mediator.wait_for(saying(mtr.t("mediator.request_what", number=case.number, party=party)))
    await mediator.send(what)
    label = mtr.tn("button.days", "button.days.plural", days)
    await mediator.wait_for(lambda e: label in e.button_texts)
    await mediator.press(label)


async def _supplier_adds(case: Case, data: bytes, label: str) -> int:
    """The supplier gives a document privately with /evidence; returns its number."""
    supplier, tr = case.supplier, case.str_
    await supplier.send(f"/evidence {case.filed_number}")
    await supplier.wait_for(containing(tr.t("evidence.private.ask_file", case=case.number)))
    await supplier.send_document(data, "report.pdf", "application/pdf")
    await supplier.next_message(timeout=10)  # the label?
    await supplier.send(label)
    await supplier.wait_for(lambda e: tr.t("tag.delivery") in e.button_texts, timeout=10)
    await supplier.press(tr.t("tag.delivery"), timeout=10)
    await supplier.wait_for(containing(label), timeout=10)
    items = await case.bot.services.db.evidence.list(case.case_id)
    return max(i.number for i in items if i.label == label)


async def test_requests_for_evidence_met_lapsed_and_a_late_item_accepted(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, li, ltr = await _taken(bot, sandbox, catalogs, clock, "Li")  # a Chinese mediator
    db = bot.services.db
    due = clock.now() + timedelta(days=2)
    await _request(li, ltr, case, WHAT, 2)
    await li.wait_for(
        saying(
            ltr.t(
                "mediator.request_made",
                request="R1",
                party=role_name(ltr, Role.SUPPLIER),
                what=WHAT,
                due=ltr.datetime(due),
            )
        )
    )

    # The supplier (Chinese) is told privately, with the date in their zone and the default;
    # the dispute chat reads it in both languages.
    def news(tr: Translator) -> str:
        return tr.t(
            "evidence_request.news",
            number=case.number,
            request="R1",
            party=role_name(tr, Role.SUPPLIER),
            what=WHAT,
            due=tr.datetime(due),
        )

    told = await case.supplier.wait_for(saying(news(case.str_)))
    assert "调解员将在没有该证据的情况下继续处理" in told.text
    await case.buyer.wait_for(
        lambda e: news(case.btr) in e.text and news(case.str_) in e.text, chat=case.group
    )
    [request] = await db.evidence_requests.list(case.case_id)
    assert request.status == "open" and request.due_at == due
    pending = await db.deadlines.pending_for_case(case.case_id)
    assert {d.kind for d in pending} == {DeadlineKind.MEDIATION, DeadlineKind.EVIDENCE_REQUEST}

    # The supplier sends it: the request is met and the mediator told.
    first = await _supplier_adds(case, PDF.replace(b"1 0 obj", b"1 0 obj % loading"), "装货照片")
    met = ltr.t(
        "evidence_request.met",
        number=case.number,
        party=role_name(ltr, Role.SUPPLIER),
        request="R1",
        evidence=f"E{first}",
    )
    await li.wait_for(saying(met), timeout=10)
    [request] = await db.evidence_requests.list(case.case_id)
    assert request.status == "met" and request.answers == [first]

    # A second request lapses: the mediator and the supplier are told.
    await _request(li, ltr, case, WHAT_2, 1)
    await li.wait_for(containing("R2"))
    clock.advance(timedelta(days=1, minutes=1))
    await _sweep(bot)
    lapsed = ltr.t(
        "evidence_request.lapsed",
        number=case.number,
        party=role_name(ltr, Role.SUPPLIER),
        request="R2",
        what=WHAT_2,
    )
    await li.wait_for(saying(lapsed), timeout=10)
    await case.supplier.wait_for(
        saying(
            case.str_.t(
                "evidence_request.lapsed_party",
                number=case.number,
                party=role_name(case.str_, Role.SUPPLIER),
                request="R2",
            )
        )
    )
    # Evidence after the lapse is marked late; it counts only once the mediator accepts it.
    late = await _supplier_adds(case, PDF.replace(b"1 0 obj", b"1 0 obj % courier"), "快递报告")
    number = f"E{late}"
    await case.supplier.wait_for(
        saying(
            case.str_.t(
                "evidence_request.late_party", number=case.number, request="R2", evidence=number
            )
        )
    )
    accept = ltr.t("button.late_accept", number=number)
    await li.wait_for(lambda e: accept in e.button_texts, timeout=10)
    item = await db.evidence.get(case.case_id, late)
    assert item is not None and item.lateness == "late"
    answer = await li.press(accept)
    assert answer.text == ltr.t("late.accepted", evidence=number)
    item = await db.evidence.get(case.case_id, late)
    assert item is not None and item.lateness == "accepted"
    await case.buyer.wait_for(
        saying(case.btr.t("late.accepted_news", number=case.number, evidence=number))
    )
    # A second verdict changes nothing.
    again = await li.press(ltr.t("button.late_leave_out", number=number))
    assert again.text == ltr.t("late.not_late", evidence=number)
    # The mediator's /case: the card's evidence index shows it late and accepted.
    await li.send(f"/case {case.filed_number}")
    mark = ltr.t("evidence.mark.late_accepted")
    card = await li.wait_for(
        lambda e: ltr.t("card.title", number=case.number) in e.text and mark in e.text
    )
    line = next(x for x in card.text.splitlines() if x.startswith(number))
    assert ltr.t("evidence.mark.late_accepted") in line
    # ... and the requests, with what came of them.
    assert ltr.t("card.requests_header") in card.text
    assert (
        ltr.t(
            "card.request",
            request="R1",
            party=role_name(ltr, Role.SUPPLIER),
            what=WHAT,
            due=ltr.datetime(due),
            status=ltr.t("card.request.met"),
            evidence=f"E{first}",
        )
        in card.text
    )
    await li.wait_for(containing(ltr.t("mediator.panel", number=case.number)))


async def test_statements_round_then_decision_deadlines(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, maria, mtr = await _taken(bot, sandbox, catalogs, clock, "Maria")  # English
    await maria.press(mtr.t("button.open_statements"))
    await maria.wait_for(lambda e: mtr.t("button.confirm_statements") in e.button_texts)
    assert await case.state() is CaseState.MEDIATION  # nothing moves before the confirmation
    await maria.press(mtr.t("button.confirm_statements"))
    due = clock.now() + timedelta(days=3)

    def opened(tr: Translator) -> str:
        return tr.t("statements.opened", number=case.number, due=tr.datetime(due))

    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(opened(tr)), timeout=10)
    await case.buyer.wait_for(
        lambda e: opened(case.btr) in e.text and opened(case.str_) in e.text, chat=case.group
    )
    await maria.wait_for(
        saying(mtr.t("statements.opened_mediator", number=case.number, due=mtr.datetime(due)))
    )
    assert await case.state() is CaseState.ARBITRATION
    # The buyer by command, the supplier by the button in the news.
    await case.buyer.send("/statement")
    await case.buyer.wait_for(containing(case.btr.t("statement.ask", number=case.number, max=2000)))
    await case.buyer.send("The casings arrived cracked; see E1.")
    await case.buyer.wait_for(saying(case.btr.t("statement.recorded", number=case.number)))
    await case.supplier.press(case.str_.t("button.give_statement"))
    await case.supplier.wait_for(
        containing(case.str_.t("statement.ask", number=case.number, max=2000))
    )
    await case.supplier.send("货物出厂时完好。")
    await case.supplier.wait_for(saying(case.str_.t("statement.recorded", number=case.number)))
    for party, text in (
        (Role.BUYER, "The casings arrived cracked; see E1."),
        (Role.SUPPLIER, "货物出厂时完好。"),
    ):
        await maria.wait_for(
            saying(
                mtr.t(
                    "statement.news",
                    number=case.number,
                    party=role_name(mtr, party),
                    text=text,
                )
            )
        )
    events = [e for e in await bot.services.db.history.list(case.case_id)]
    assert [e.actor_role for e in events if e.kind == "final_statement"] == [
        Role.BUYER,
        Role.SUPPLIER,
    ]

    # The statements close: the mediator is asked to decide, the parties told.
    clock.set(due + timedelta(minutes=1))
    await _sweep(bot)
    [decision] = [
        d
        for d in await bot.services.db.deadlines.pending_for_case(case.case_id)
        if d.kind is DeadlineKind.ARBITRATION_DECISION
    ]
    assert decision.due_at == clock.now() + timedelta(days=5)
    await maria.wait_for(
        saying(mtr.t("decision.asked", number=case.number, due=mtr.datetime(decision.due_at)))
    )
    await case.supplier.wait_for(
        saying(
            case.str_.t(
                "decision.awaited", number=case.number, due=case.str_.datetime(decision.due_at)
            )
        )
    )
    # Its reminder goes to the mediator, not the parties.
    clock.set(decision.reminder_times[0] + timedelta(minutes=1))
    await _sweep(bot)
    reminder = mtr.t(
        "reminder.arbitration_decision", number=case.number, due=mtr.datetime(decision.due_at)
    )
    await maria.wait_for(saying(reminder))
    remind_buyer = case.btr.t(
        "reminder.arbitration_decision", number=case.number, due=case.btr.datetime(decision.due_at)
    )
    assert remind_buyer not in case.buyer.bot_texts()
    # Overdue: the pool (both languages) and the parties are told; nothing is decided.
    clock.set(decision.due_at + timedelta(minutes=1))
    await _sweep(bot)
    staff = _staff(sandbox)
    li = _mediator(sandbox, "Li")
    zone = bot.services.settings.default_timezone  # the staff chat is shared: the service's zone
    en, zh = (catalogs.translator(language, zone) for language in ("en", "zh_Hans"))

    def overdue(tr: Translator) -> str:
        return tr.t(
            "decision.overdue_pool",
            number=case.number,
            name="Maria",
            due=tr.datetime(decision.due_at),
        )

    await li.wait_for(lambda e: overdue(en) in e.text and overdue(zh) in e.text, chat=staff)
    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(tr.t("decision.overdue_parties", number=case.number)))
    assert await case.state() is CaseState.ARBITRATION


async def test_the_mediation_deadline_opens_the_statements_round(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, li, ltr = await _taken(bot, sandbox, catalogs, clock, "Li")
    [mediation] = await bot.services.db.deadlines.pending_for_case(case.case_id)
    assert mediation.kind is DeadlineKind.MEDIATION
    clock.set(mediation.due_at + timedelta(minutes=1))
    await _sweep(bot)
    assert await case.state() is CaseState.ARBITRATION
    due = clock.now() + timedelta(days=3)

    def opened(tr: Translator) -> str:
        return tr.t("statements.opened_system", number=case.number, due=tr.datetime(due))

    for user, tr in ((case.buyer, case.btr), (case.supplier, case.str_)):
        await user.wait_for(saying(opened(tr)), timeout=10)
    await li.wait_for(
        saying(ltr.t("statements.opened_mediator", number=case.number, due=ltr.datetime(due)))
    )


async def test_only_the_cases_own_mediator_acts_and_a_closed_case_takes_no_request(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, li, ltr = await _taken(bot, sandbox, catalogs, clock, "Li")
    db = bot.services.db
    maria = _mediator(sandbox, "Maria")
    mtr = translator(catalogs, maria)
    stranger = sandbox.user("Eve", language_code="en")
    await stranger.send("/start")
    await stranger.wait_for(lambda e: e.from_bot)
    version = (await db.cases.get(case.case_id)).version  # type: ignore[union-attr]
    for kind in (OpenStatements, RequestEvidence):
        data = encode(kind(case.case_id))
        for user, tr in ((maria, mtr), (case.buyer, case.btr), (case.supplier, case.str_)):
            message = user.private_chat.bot_messages()[-1]
            answer = await press_data(user, message.message_id, data)
            assert answer.show_alert
            assert answer.text == tr.t("mediator.not_yours", number=case.number), user
        message = stranger.private_chat.bot_messages()[-1]
        answer = await press_data(stranger, message.message_id, data)
        assert answer.text == translator(catalogs, stranger).t(
            "mediator.not_yours", number=case.number
        )
    # Another mediator's /case is a party's: not found for them.
    await maria.send(f"/case {case.filed_number}")
    await maria.wait_for(saying(mtr.t("case.not_found", number=case.number)))
    stored = await db.cases.get(case.case_id)
    assert stored is not None and stored.version == version and stored.state is CaseState.MEDIATION
    assert await db.evidence_requests.list(case.case_id) == []

    # The buyer withdraws: the closed case takes no request, and no statements round.
    await db.cases.transition(case.case_id, Action.WITHDRAW, case.buyer.id, Role.BUYER, clock.now())
    message = li.private_chat.bot_messages()[-1]
    for kind in (RequestEvidence, OpenStatements):
        answer = await press_data(li, message.message_id, encode(kind(case.case_id)))
        assert answer.text == ltr.t("mediator.not_now", number=case.number)
    assert await db.evidence_requests.list(case.case_id) == []
    assert await case.state() is CaseState.CLOSED


async def test_the_panels_hand_back_asks_the_reason_and_returns_the_case(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case, li, ltr = await _taken(bot, sandbox, catalogs, clock, "Li")
    await li.press(ltr.t("button.hand_back"))
    await li.wait_for(saying(ltr.t("mediator.hand_back_ask", number=case.number)))
    await li.send("与供应商有业务往来")
    await li.wait_for(saying(ltr.t("pool.handed_back", number=case.number)))
    stored = await bot.services.db.cases.get(case.case_id)
    assert stored is not None and stored.mediator_id is None
    assert stored.state is CaseState.MEDIATION
    events = await bot.services.db.history.list(case.case_id)
    assert any(e.payload.get("reason") == "与供应商有业务往来" for e in events)
