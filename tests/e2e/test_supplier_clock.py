"""The supplier's clock starts at the first invitation, not at filing.

Until the buyer makes the invitation, the buyer is reminded to make it and pass it on; a claim
whose invitation is never made lapses (closed as expired) and never escalates. Once it is made,
the supplier has SUPPLIER_RESPONSE_DAYS from that first invitation; a second invitation does not
move the deadline. The frozen clock is moved and the sweep run directly, as in test_deadlines.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import create_dispute_chat, invite_supplier
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from flows.sweep import sweep
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import last_bot_entry, saying

INVITE_WITHIN = timedelta(days=7)  # INVITATION_MAKE_DAYS' default
RESPOND_WITHIN = timedelta(days=3)  # SUPPLIER_RESPONSE_DAYS' default
LANGUAGES = [pytest.param("en", id="en"), pytest.param("zh-cn", id="zh")]


@pytest.mark.parametrize("language_code", LANGUAGES)
async def test_filing_promises_no_supplier_deadline_and_asks_for_the_invitation(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, language_code: str
) -> None:
    buyer = sandbox.user("Anna", language_code=language_code)
    tr = translator(catalogs, buyer)
    filed_at = clock.now()
    submitted = await file_claim(buyer, tr, SCRIPTS[tr.language], clock)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)
    invite_by = filed_at + INVITE_WITHIN

    assert submitted == tr.t(
        "claim.filed", number=f"#{case.id}", id=case.id, due=tr.datetime(invite_by)
    )
    assert tr.datetime(filed_at + RESPOND_WITHIN) not in submitted
    assert tr.t("button.invite_supplier") in last_bot_entry(buyer).button_texts
    [pending] = await bot.services.db.deadlines.pending_for_case(case.id)
    assert (pending.kind, pending.due_at) == (DeadlineKind.SUPPLIER_INVITATION, invite_by)

    # The dispute chat, made before the invitation, says what comes next: the invitation.
    group = await create_dispute_chat(
        sandbox, buyer, tr, last_bot_entry(buyer), SCRIPTS[tr.language].order_number
    )
    await buyer.wait_for(
        saying(tr.t("group.next_step_invitation", due=tr.datetime(invite_by))), chat=group
    )
    assert not [
        text for text in buyer.bot_texts(group) if tr.datetime(filed_at + RESPOND_WITHIN) in text
    ]

    # Once the invitation is made, the chat hears that the supplier's time now runs.
    clock.advance(timedelta(days=1))
    await invite_supplier(buyer, tr)
    respond_by = clock.now() + RESPOND_WITHIN
    await buyer.wait_for(saying(tr.t("group.next_step", due=tr.datetime(respond_by))), chat=group)


@pytest.mark.parametrize("language_code", LANGUAGES)
async def test_without_an_invitation_the_claim_lapses_and_never_escalates(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, language_code: str
) -> None:
    buyer = sandbox.user("Anna", language_code=language_code)
    tr = translator(catalogs, buyer)
    filed_at = clock.now()
    await file_claim(buyer, tr, SCRIPTS[tr.language], clock)
    services = bot.services
    assert bot.app is not None
    telegram_bot = bot.app.bot
    [case] = await services.db.cases.list_for_user(buyer.id)
    buyer.skip_messages()
    number, invite_by = f"#{case.id}", filed_at + INVITE_WITHIN
    reminder = tr.t("reminder.supplier_invitation", number=number, due=tr.datetime(invite_by))

    clock.advance(RESPOND_WITHIN + timedelta(minutes=1))  # the old, filing-based deadline
    report = await sweep(services, telegram_bot)
    assert report.reminders == [] and report.fired == []
    assert await _state(bot, case.id) is CaseState.AWAITING_SUPPLIER

    clock.set(filed_at + INVITE_WITHIN / 2)  # half time
    assert len((await sweep(services, telegram_bot)).reminders) == 1
    first = await buyer.next_message()
    assert first.text == reminder
    assert tr.t("button.invite_supplier") in first.button_texts  # one tap away
    assert (await sweep(services, telegram_bot)).reminders == []  # never twice

    clock.set(invite_by - timedelta(hours=23))  # within 24 hours of the deadline
    assert len((await sweep(services, telegram_bot)).reminders) == 1
    assert (await buyer.next_message()).text == reminder

    clock.set(invite_by)
    report = await sweep(services, telegram_bot)
    assert [d.kind for d in report.fired] == [DeadlineKind.SUPPLIER_INVITATION]
    assert (await buyer.next_message()).text == tr.t(
        "outcome_applied.claim_lapsed", number=number, due=tr.datetime(invite_by)
    )
    await buyer.next_message()  # the record's head at closing
    closed = await services.db.cases.get(case.id)
    assert closed is not None and closed.state is CaseState.CLOSED
    assert closed.closed_reason == "expired"
    assert await services.db.deadlines.pending_for_case(case.id) == []
    clock.advance(timedelta(days=30))
    assert (await sweep(services, telegram_bot)).fired == []
    history = await services.db.history.list(case.id)
    assert "mediation" not in {event.payload.get("to") for event in history}
    assert (await services.db.history.verify(case.id)).ok

    await buyer.send("/cases")
    listing = await buyer.next_message()
    assert (
        tr.t(
            "cases.line",
            number=number,
            state=tr.t("closed.expired"),
            title=SCRIPTS[tr.language].product,
        )
        in listing.text
    )


@pytest.mark.parametrize(
    ("buyer_code", "supplier_code"),
    [
        pytest.param("en", "zh-hans", id="en-buyer-zh-supplier"),
        pytest.param("zh-cn", "en", id="zh-buyer-en-supplier"),
    ],
)
async def test_the_supplier_clock_starts_at_the_first_invitation(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    buyer_code: str,
    supplier_code: str,
) -> None:
    buyer = sandbox.user("Anna", language_code=buyer_code)
    supplier = sandbox.user("王芳", language_code=supplier_code)
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    filed_at = clock.now()
    await file_claim(buyer, btr, SCRIPTS[btr.language], clock)
    services = bot.services
    assert bot.app is not None
    telegram_bot = bot.app.bot
    [case] = await services.db.cases.list_for_user(buyer.id)
    number = f"#{case.id}"
    buyer.skip_messages()

    clock.advance(timedelta(days=2))
    invited_at = clock.now()
    respond_by = invited_at + RESPOND_WITHIN
    await invite_supplier(buyer, btr)
    started = btr.t("invite.clock_started", number=number, due=btr.datetime(respond_by))
    assert started in buyer.bot_texts()
    [pending] = await services.db.deadlines.pending_for_case(case.id)
    assert (pending.kind, pending.due_at) == (DeadlineKind.SUPPLIER_RESPONSE, respond_by)

    # A second invitation (say the first went to the wrong address) keeps the deadline.
    clock.advance(timedelta(days=1))
    link = await invite_supplier(buyer, btr)
    running = btr.t("invite.clock_running", number=number, due=btr.datetime(respond_by))
    assert running in buyer.bot_texts()
    [pending] = await services.db.deadlines.pending_for_case(case.id)
    assert (pending.kind, pending.due_at) == (DeadlineKind.SUPPLIER_RESPONSE, respond_by)

    # The supplier sees the deadline, in their own language, when they open the invitation.
    await supplier.open_link(link)
    opened = await supplier.next_message()
    assert str_.t("invite.respond_by", due=str_.datetime(respond_by)) in opened.text

    # Day 3 after filing is not the supplier's deadline any more.
    clock.set(filed_at + RESPOND_WITHIN + timedelta(minutes=1))
    report = await sweep(services, telegram_bot)
    assert report.reminders == [] and report.fired == []
    assert await _state(bot, case.id) is CaseState.AWAITING_SUPPLIER

    clock.set(invited_at + RESPOND_WITHIN / 2)  # half time of the supplier's 3 days
    assert len((await sweep(services, telegram_bot)).reminders) == 1
    await buyer.wait_for(
        saying(btr.t("reminder.supplier_response", number=number, due=btr.datetime(respond_by)))
    )

    clock.set(respond_by)
    report = await sweep(services, telegram_bot)
    assert [d.kind for d in report.fired] == [DeadlineKind.SUPPLIER_RESPONSE]
    await buyer.wait_for(
        saying(
            btr.t("outcome_applied.supplier_silent", number=number, due=btr.datetime(respond_by))
        )
    )
    assert await _state(bot, case.id) is CaseState.MEDIATION
    [pending] = await services.db.deadlines.pending_for_case(case.id)
    assert pending.kind is DeadlineKind.MEDIATOR_ASSIGNMENT
    assert (await services.db.history.verify(case.id)).ok


async def _state(bot: BotHarness, case_id: int) -> CaseState:
    case = await bot.services.db.cases.get(case_id)
    assert case is not None
    return case.state


async def test_the_reminder_makes_the_invitation_in_one_tap(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("李", language_code="zh-cn")
    tr = translator(catalogs, buyer)
    filed_at = clock.now()
    await file_claim(buyer, tr, SCRIPTS["zh_Hans"], clock)
    services = bot.services
    assert bot.app is not None
    [case] = await services.db.cases.list_for_user(buyer.id)
    buyer.skip_messages()

    clock.set(filed_at + INVITE_WITHIN / 2)
    assert len((await sweep(services, bot.app.bot)).reminders) == 1
    reminder = await buyer.next_message()
    await buyer.press(tr.t("button.invite_supplier"), message=reminder.message_id)
    respond_by = clock.now() + RESPOND_WITHIN
    await buyer.wait_for(
        saying(tr.t("invite.clock_started", number=f"#{case.id}", due=tr.datetime(respond_by)))
    )
    [pending] = await services.db.deadlines.pending_for_case(case.id)
    assert (pending.kind, pending.due_at) == (DeadlineKind.SUPPLIER_RESPONSE, respond_by)
    clock.set(filed_at + INVITE_WITHIN)  # the invitation deadline is met: nothing lapses
    assert [d.kind for d in (await sweep(services, bot.app.bot)).fired] == [
        DeadlineKind.SUPPLIER_RESPONSE
    ]
    assert await _state(bot, case.id) is CaseState.MEDIATION
