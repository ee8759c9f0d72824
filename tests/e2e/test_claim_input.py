"""Bad input at every question: a specific message in the reader's language, the same question
again, and nothing entered so far lost. Also: restarts, and buttons that are not the reader's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.demo import JPEG, PDF
from bot.sandbox import Sandbox, SandboxUser
from flows.claim_steps import Step
from flows.clock import FrozenClock
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, press_data, translator


async def _expect(user: SandboxUser, error: str, question: str) -> None:
    """The bot answers with `error`, then asks the same question (its progress line)."""
    assert (await user.next_message()).text == error
    again = await user.next_message()
    assert again.text.startswith(question), again.text


async def _answer(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


@pytest.mark.parametrize("language_code", ["en", "zh-hans"])
async def test_bad_input_at_every_question(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, language_code: str
) -> None:
    buyer = sandbox.user("Tester", language_code=language_code)
    tr: Translator = translator(catalogs, buyer)
    today = clock.now().date()

    def step(n: int) -> str:
        return tr.t("claim.progress", n=n, total=14)

    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    # 1 order number
    await buyer.send_sticker()
    await _expect(buyer, tr.t("error.answer.expected_text"), step(1))
    await buyer.send("x" * 65)
    await _expect(buyer, tr.t("error.text.too_long", length=65, max=64), step(1))
    assert (await _answer(buyer, "PO-1")).startswith(step(2))
    # 2 order date
    await buyer.send("next tuesday")
    await _expect(buyer, tr.t("error.date.format"), step(2))
    await buyer.send((today + timedelta(days=2)).isoformat())
    await _expect(buyer, tr.t("error.date.future"), step(2))
    assert (await _answer(buyer, (today - timedelta(days=20)).isoformat())).startswith(step(3))
    # 3 product
    await buyer.send_location(22.54, 114.06)
    await _expect(buyer, tr.t("error.answer.expected_text"), step(3))
    assert (await _answer(buyer, "Desk lamps")).startswith(step(4))
    # 4 quantity
    await buyer.send("-5")
    await _expect(buyer, tr.t("error.quantity.not_positive"), step(4))
    await buyer.send("many")
    await _expect(buyer, tr.t("error.quantity.not_integer"), step(4))
    assert (await _answer(buyer, "1,000")).startswith(step(5))
    # 5 currency (typed)
    await buyer.send("XYZ")
    await _expect(buyer, tr.t("error.currency.unknown"), step(5))
    assert (await _answer(buyer, "jpy")).startswith(step(6))
    # 6 amount
    await buyer.send_photo(JPEG)
    await _expect(buyer, tr.t("error.answer.expected_text"), step(6))
    await buyer.send("-10")
    await _expect(buyer, tr.t("error.amount.not_positive"), step(6))
    await buyer.send("100.5")
    await _expect(buyer, tr.t("error.amount.too_many_decimals", decimals=0), step(6))
    assert (await _answer(buyer, "250000")).startswith(step(7))
    # 7, 8 supplier
    await buyer.send_sticker()
    await _expect(buyer, tr.t("error.answer.expected_text"), step(7))
    assert (await _answer(buyer, "Ningbo Light Co.")).startswith(step(8))
    await buyer.send("c" * 201)
    await _expect(buyer, tr.t("error.text.too_long", length=201, max=200), step(8))
    assert (await _answer(buyer, "light@example.com")).startswith(step(9))
    # 9 category: typing instead of pressing
    await buyer.send("broken")
    await _expect(buyer, tr.t("error.answer.use_buttons"), step(9))
    await buyer.press(tr.t("category.not_as_described"))
    await buyer.next_message()
    # 10 receipt date
    await buyer.send((today - timedelta(days=25)).isoformat())
    await _expect(buyer, tr.t("error.date.before_order"), step(10))
    assert (await _answer(buyer, (today - timedelta(days=3)).isoformat())).startswith(step(11))
    # 11 description: an essay over the limit
    await buyer.send("很" * 8001)
    await _expect(
        buyer, tr.t("error.text.too_long", length=tr.number(8001), max=tr.number(8000)), step(11)
    )
    assert (await _answer(buyer, "The lamps are blue, not white.")).startswith(step(12))
    # 12 outcome: typed instead of chosen, then a partial refund over the amount paid
    await buyer.send("money back")
    await _expect(buyer, tr.t("error.answer.use_buttons"), step(12))
    await buyer.press(tr.t("outcome.partial_refund"))
    await buyer.next_message()
    await buyer.send("300000")
    await _expect(buyer, tr.t("error.refund.exceeds_paid"), step(12))
    await buyer.send("150%")
    await _expect(buyer, tr.t("error.percent.range"), step(12))
    assert (await _answer(buyer, "40%")).startswith(step(13))
    # 13 evidence: required, too big, wrong type, sticker, label too long
    await buyer.press(tr.t("button.done"))
    await _expect(buyer, tr.t("error.evidence.required"), step(13))
    await buyer.send_document(PDF, "huge.pdf", "application/pdf", fake_size=25 * 1024 * 1024)
    await _expect(buyer, tr.t("error.evidence.too_big", max_mb=20), step(13))
    await buyer.send_document(b"MZ\x90\x00", "setup.exe", "application/x-msdownload")
    await _expect(buyer, tr.t("error.evidence.type_not_allowed"), step(13))
    await buyer.send_sticker()
    await _expect(buyer, tr.t("error.evidence.unsupported_message"), step(13))
    await buyer.send_photo(JPEG)
    await buyer.next_message()
    await buyer.send("L" * 101)
    await _expect(buyer, tr.t("error.label.too_long", max=100), step(13))
    await buyer.send("Blue lamp")
    await buyer.next_message()
    await buyer.press(tr.t("tag.defect"))
    await buyer.next_message()
    await buyer.next_message()
    await buyer.press(tr.t("button.done"))
    summary = await buyer.next_message()
    # 14 the summary: typing is not submitting
    await buyer.send("ok send it")
    await _expect(buyer, tr.t("error.answer.use_buttons"), step(14))
    # Everything typed before the errors is still there.
    for kept in ("PO-1", "Desk lamps", "Ningbo Light Co.", "light@example.com", "40%", "Blue lamp"):
        assert kept in summary.text, kept
    assert tr.money(__import__("decimal").Decimal(250000), "JPY") in summary.text


async def test_restart_mid_form_and_after_submission_loses_nothing(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    tr = translator(catalogs, buyer)
    today = clock.now().date()
    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    await _answer(buyer, "PO-77")
    await _answer(buyer, (today - timedelta(days=10)).isoformat())
    await _answer(buyer, "Ceramic tiles")

    await bot.restart()

    # The next message continues at the same question, with the answers kept.
    assert (await _answer(buyer, "40")).startswith(tr.t("claim.progress", n=5, total=14))
    await buyer.press("EUR")
    await buyer.next_message()
    await bot.restart()
    await buyer.send("/start")
    await buyer.next_message()  # welcome
    assert (await buyer.next_message()).text == tr.t("claim.resume", number="#1")
    assert (await buyer.next_message()).text.startswith(tr.t("claim.progress", n=6, total=14))
    for text in ("800", "Tiles GmbH", "+49 40 555"):
        await _answer(buyer, text)
    await buyer.press(tr.t("category.late_delivery"))
    await buyer.next_message()
    await _answer(buyer, (today - timedelta(days=1)).isoformat())
    await _answer(buyer, (today - timedelta(days=3)).isoformat())  # the agreed delivery date
    await _answer(buyer, "Arrived three weeks late.")
    await buyer.press(tr.t("outcome.discount"))
    await buyer.next_message()
    await _answer(buyer, "5%")  # the discount on a future order
    await _answer(buyer, "Shipping notice says 1 Nov, delivered 25 Nov.")  # a written statement
    await _answer(buyer, "My statement")
    await buyer.press(tr.t("tag.delivery"))
    await buyer.next_message()
    await buyer.next_message()
    await buyer.press(tr.t("button.done"))
    summary = await buyer.next_message()
    assert "PO-77" in summary.text and "Ceramic tiles" in summary.text and "€800.00" in summary.text
    await buyer.press(tr.t("button.submit"))
    await buyer.next_message()
    await buyer.next_message()  # the record's head at filing

    await bot.restart()
    db = bot.services.db
    [case] = await db.cases.list_for_user(buyer.id)
    assert case.state is CaseState.AWAITING_SUPPLIER
    assert case.filed_claim.order_number == "PO-77" and case.filed_claim.currency == "EUR"
    [statement] = await db.evidence.list(case.id)
    assert statement.kind == "statement" and statement.text and "25 Nov" in statement.text
    verified = await db.history.verify(case.id)
    assert verified.ok and verified.count == 3
    events = await db.history.list(case.id)
    assert [e.kind for e in events] == ["case.created", "evidence.added", "case.transition"]
    assert events[-1].payload["claim"]["order_number"] == "PO-77"
    await buyer.send(f"/case {case.id}")
    assert "PO-77" in (await buyer.next_message()).text


async def test_buttons_of_another_form_or_an_old_question_do_nothing(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    anna = sandbox.user("Anna", language_code="en")
    mallory = sandbox.user("Mallory", language_code="en")
    tr = translator(catalogs, anna)
    await anna.send("/new")
    await anna.next_message()
    first = await anna.next_message()
    await _answer(anna, "PO-9")
    db = bot.services.db
    [case] = await db.cases.list_for_user(anna.id)

    # Mallory forges Anna's cancel button (and a discard) in her own chat.
    await mallory.send("/start")
    welcome = await mallory.next_message()
    for data in (f"f:{case.id}:order_date:cancel", f"f:{case.id}:order_date:discard"):
        answer = await press_data(mallory, welcome.message_id, data)
        assert answer.text == tr.t("callback.unavailable")
    assert (await db.drafts.get(case.id)) is not None
    assert (await db.cases.get(case.id)).state is CaseState.DRAFT  # type: ignore[union-attr]

    # Anna presses Cancel on the first question, which is no longer the current one.
    answer = await anna.press(tr.t("button.cancel"), message=first.message_id)
    assert answer.text == tr.t("callback.stale")
    draft = await db.drafts.get(case.id)
    assert (
        draft is not None
        and draft.step == Step.ORDER_DATE
        and draft.answers["order_number"] == "PO-9"
    )

    # Garbage data is refused too.
    answer = await press_data(anna, first.message_id, "f:abc")
    assert answer.text == tr.t("callback.unavailable")


async def test_cancel_asks_first_then_discards(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs
) -> None:
    buyer = sandbox.user("Li", language_code="zh")
    tr = translator(catalogs, buyer)
    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    await buyer.press(tr.t("button.cancel"))
    assert (await buyer.next_message()).text == tr.t("claim.cancel.confirm")
    await buyer.press(tr.t("button.keep"))
    assert (await buyer.next_message()).text.startswith(tr.t("claim.progress", n=1, total=14))
    await buyer.press(tr.t("button.cancel"))
    await buyer.next_message()
    await buyer.press(tr.t("button.discard"))
    assert (await buyer.next_message()).text == tr.t("claim.cancelled")
    assert await bot.services.db.cases.list_for_user(buyer.id) == []  # abandoned drafts hidden
    [case] = await bot.services.db.cases.list_for_user(buyer.id, include_closed_drafts=True)
    assert case.state is CaseState.CLOSED
    assert await bot.services.db.cases.active_draft_for(buyer.id) is None
