"""Deadlines move with the injected clock: reminders once each, then the default outcome."""

from __future__ import annotations

from datetime import timedelta

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import invite_supplier
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from flows.sweep import sweep
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator


async def test_draft_reminders_then_deletion(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    tr = translator(catalogs, buyer)
    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    services = bot.services
    assert bot.app is not None
    telegram_bot = bot.app.bot
    [case] = await services.db.cases.list_for_user(buyer.id)
    due = clock.now() + timedelta(days=7)

    clock.advance(timedelta(days=3, hours=12))
    report = await sweep(services, telegram_bot)
    assert len(report.reminders) == 1
    reminder = await buyer.next_message()
    assert reminder.text == tr.t(
        "reminder.draft_expiry", number=f"#{case.id}", due=tr.datetime(due)
    )
    report = await sweep(services, telegram_bot)
    assert report.reminders == [] and report.fired == []  # never twice for the same moment

    clock.advance(timedelta(days=2, hours=13))  # 23 hours before the deadline
    assert len((await sweep(services, telegram_bot)).reminders) == 1
    assert (await buyer.next_message()).text == reminder.text

    clock.advance(timedelta(hours=23))
    report = await sweep(services, telegram_bot)
    assert [d.kind for d in report.fired] == [DeadlineKind.DRAFT_EXPIRY]
    assert (await buyer.next_message()).text == tr.t(
        "outcome_applied.draft_deleted", number=f"#{case.id}"
    )
    closed = await services.db.cases.get(case.id)
    assert closed is not None and closed.state is CaseState.CLOSED
    assert await services.db.cases.active_draft_for(buyer.id) is None
    assert (await services.db.history.verify(case.id)).ok


async def test_silent_supplier_escalates_to_mediation(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("李", language_code="zh-cn")
    tr = translator(catalogs, buyer)
    await file_claim(buyer, tr, SCRIPTS["zh_Hans"], clock)
    services = bot.services
    assert bot.app is not None
    telegram_bot = bot.app.bot
    [case] = await services.db.cases.list_for_user(buyer.id)
    await invite_supplier(buyer, tr)  # the supplier's 3 days start with the invitation
    due = clock.now() + timedelta(days=3)

    clock.advance(timedelta(days=3, minutes=1))
    report = await sweep(services, telegram_bot)
    assert [d.kind for d in report.fired] == [DeadlineKind.SUPPLIER_RESPONSE]
    assert (await buyer.next_message()).text == tr.t(
        "outcome_applied.supplier_silent", number=f"#{case.id}", due=tr.datetime(due)
    )
    escalated = await services.db.cases.get(case.id)
    assert escalated is not None and escalated.state is CaseState.MEDIATION
    [pending] = await services.db.deadlines.pending_for_case(case.id)
    assert pending.kind is DeadlineKind.MEDIATOR_ASSIGNMENT
