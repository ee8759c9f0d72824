"""Whole claims through the sandbox and the real Application, in English and Chinese."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.sandbox import Sandbox
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState, DeadlineKind
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("language_code", "language"), [("en", "en"), ("zh-hans", "zh_Hans")])
async def test_full_claim_is_filed_with_stored_evidence(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language_code: str,
    language: str,
) -> None:
    buyer = sandbox.user("Buyer", language_code=language_code)
    tr = translator(catalogs, buyer)
    await buyer.send("/start")
    welcome = await buyer.next_message()
    assert welcome.text.startswith(tr.t("start.welcome", name="Buyer")[:12])

    submitted = await file_claim(buyer, tr, SCRIPTS[language], clock)

    db = bot.services.db
    [case] = await db.cases.list_for_user(buyer.id)
    assert case.state is CaseState.AWAITING_SUPPLIER
    due = clock.now() + timedelta(days=7)  # the buyer's time to invite the supplier
    assert submitted == tr.t("claim.filed", number=f"#{case.id}", id=case.id, due=tr.datetime(due))
    assert case.filed_claim.order_number == SCRIPTS[language].order_number
    assert case.filed_claim.amount == Decimal("4250.00" if language == "en" else "3600.00")
    [deadline] = await db.deadlines.pending_for_case(case.id)
    assert deadline.kind is DeadlineKind.SUPPLIER_INVITATION and deadline.due_at == due
    assert deadline.reminder_times == [clock.now() + timedelta(hours=84), due - timedelta(hours=24)]

    evidence = await db.evidence.list(case.id)
    assert [(e.number, e.kind, e.tag) for e in evidence] == [
        (1, "photo", "defect"),
        (2, "document", "contract"),
    ]
    for item in evidence:
        assert item.sha256 and item.store_key == item.sha256 and item.telegram_file_id
        data = (bot.settings.evidence_dir / item.sha256[:2] / item.sha256).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size
    assert (await db.history.verify(case.id)).ok

    bot_messages = [e.text for e in buyer.transcript() if e.from_bot]
    if language == "zh_Hans":
        assert all(HAN.search(text) for text in bot_messages), bot_messages
    else:
        assert not any(HAN.search(text) for text in bot_messages)


async def test_cases_list_and_case_view(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Wang", language_code="zh-CN")
    other = sandbox.user("Eve", language_code="en")
    tr = translator(catalogs, buyer)
    await file_claim(buyer, tr, SCRIPTS["zh_Hans"], clock)
    [case] = await bot.services.db.cases.list_for_user(buyer.id)

    await buyer.send("/cases")
    listing = await buyer.next_message()
    assert f"#{case.id}" in listing.text and tr.t("state.awaiting_supplier") in listing.text
    assert tr.t("deadline.supplier_invitation") in listing.text
    assert tr.datetime(clock.now() + timedelta(days=7)) in listing.text

    await buyer.send(f"/case {case.id}")
    view = await buyer.next_message()
    assert "E1" in view.text and "E2" in view.text and SCRIPTS["zh_Hans"].product in view.text

    await other.send(f"/case {case.id}")
    refused = await other.next_message()
    assert refused.text == catalogs.translator("en").t("case.not_found", number=f"#{case.id}")
    await other.send("/case 999")
    assert (await other.next_message()).text == catalogs.translator("en").t(
        "case.not_found", number="#999"
    )


async def test_two_buyers_at_once_keep_their_own_answers(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    anna = sandbox.user("Anna", language_code="en")
    li = sandbox.user("Li", language_code="zh")
    await asyncio.gather(
        file_claim(anna, translator(catalogs, anna), SCRIPTS["en"], clock),
        file_claim(li, translator(catalogs, li), SCRIPTS["zh_Hans"], clock),
    )
    db = bot.services.db
    [anna_case] = await db.cases.list_for_user(anna.id)
    [li_case] = await db.cases.list_for_user(li.id)
    anna_claim, li_claim = anna_case.filed_claim, li_case.filed_claim
    assert anna_claim.product == SCRIPTS["en"].product
    assert li_claim.product == SCRIPTS["zh_Hans"].product
    assert anna_claim.currency == "USD" and li_claim.currency == "EUR"
    assert [e.label for e in await db.evidence.list(li_case.id)] == [
        SCRIPTS["zh_Hans"].photo_label,
        SCRIPTS["zh_Hans"].document_label,
    ]


async def test_a_429_on_a_send_is_retried_and_the_message_arrives(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    sandbox.faults.inject("sendMessage", "429", retry_after=1, times=1)
    await buyer.send("/start")
    welcome = await buyer.next_message(timeout=10)
    assert welcome.text.startswith("Hello, Anna!")
    statuses = [m for m, _ in sandbox.requests if m == "sendMessage"]
    assert len(statuses) >= 2  # the refused attempt and the retry


async def test_language_command_switches_and_persists(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs
) -> None:
    buyer = sandbox.user("Max", language_code="de")
    await buyer.send("/language")
    await buyer.next_message()
    await buyer.press("简体中文")
    assert (await buyer.next_message()).text == catalogs.translator("zh_Hans").t("language.set")
    await bot.restart()
    await buyer.send("/help")
    assert (await buyer.next_message()).text == catalogs.translator("zh_Hans").t("help.text")


async def test_timezone_setting_changes_how_deadlines_read(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Jonas", language_code="de")
    await file_claim(buyer, translator(catalogs, buyer), SCRIPTS["en"], clock)
    due = clock.now() + timedelta(days=7)  # the invitation, the first step after filing
    await buyer.send("/timezone Mars/Base")
    assert (await buyer.next_message()).text == catalogs.translator("en").t("timezone.unknown")
    await buyer.send("/timezone")
    await buyer.next_message()
    await buyer.press("Europe/Berlin")
    berlin = catalogs.translator("en", "Europe/Berlin")
    assert (await buyer.next_message()).text == berlin.t(
        "timezone.set", zone="Europe/Berlin", now=berlin.datetime(clock.now())
    )
    await buyer.send("/cases")
    listing = await buyer.next_message()
    assert berlin.datetime(due) in listing.text and "GMT+01:00" in listing.text
