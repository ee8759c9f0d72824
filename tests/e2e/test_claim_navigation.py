"""The claim form forgives: edits, Back and Change show and keep what was saved, a caption is a
label, a late delivery asks for the agreed date, long texts are measured. English and Chinese."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.demo import JPEG, PDF, SCRIPTS, answer_questions
from bot.sandbox import Sandbox, SandboxUser
from flows.claim_steps import Step
from flows.clock import FrozenClock
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, translator

LANGUAGES = pytest.mark.parametrize(
    ("language_code", "language"), [("en", "en"), ("zh-hans", "zh_Hans")]
)


def step_line(tr: Translator, n: int) -> str:
    return tr.t("claim.progress", n=n, total=14)


async def _answer(user: SandboxUser, text: str) -> tuple[dict[str, object], str]:
    sent = await user.send(text)
    return sent, (await user.next_message()).text


async def _draft_answers(bot: BotHarness, user: SandboxUser) -> dict[str, object]:
    active = await bot.services.db.cases.active_draft_for(user.id)
    assert active is not None
    return active[1].answers


@LANGUAGES
async def test_edit_replaces_the_latest_answer_and_older_edits_are_explained(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language_code: str,
    language: str,
) -> None:
    buyer = sandbox.user("Buyer", language_code=language_code)
    tr = translator(catalogs, buyer)
    today = clock.now().date()
    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    first, _ = await _answer(buyer, "PO-1")
    ordered = today - timedelta(days=20)
    second, question = await _answer(buyer, (today - timedelta(days=21)).isoformat())
    assert question.startswith(step_line(tr, 3))

    # The order date was the latest answer: the edit replaces it, the product question again.
    await buyer.edit(int(str(second["message_id"])), ordered.isoformat())
    assert (await buyer.next_message()).text == tr.t("claim.edit.replaced", answer=tr.date(ordered))
    assert (await buyer.next_message()).text.startswith(step_line(tr, 3))
    # An edit that is not a valid answer keeps the saved one, and says so.
    await buyer.edit(int(str(second["message_id"])), "next tuesday")
    assert (await buyer.next_message()).text == tr.t("error.date.format")
    assert (await buyer.next_message()).text == tr.t("claim.edit.refused", answer=tr.date(ordered))
    # The order number is older: nothing changes, and the reader learns how to change it.
    await buyer.edit(int(str(first["message_id"])), "PO-2")
    assert (await buyer.next_message()).text == tr.t("claim.edit.older")
    answers = await _draft_answers(bot, buyer)
    assert answers["order_number"] == "PO-1" and answers["order_date"] == ordered.isoformat()

    # Back shows the saved answer with the question, and a button keeps it.
    await buyer.press(tr.t("button.back"))
    back = await buyer.next_message()
    assert back.text.startswith(step_line(tr, 2))
    assert tr.t("claim.saved", answer=tr.date(ordered)) in back.text
    await buyer.press(tr.t("button.keep_answer"))
    assert (await buyer.next_message()).text.startswith(step_line(tr, 3))
    # After the claim is filed (or with none), an edit is acknowledged, never silently ignored.
    await buyer.press(tr.t("button.cancel"))
    await buyer.next_message()
    await buyer.press(tr.t("button.discard"))
    await buyer.next_message()
    await buyer.edit(int(str(first["message_id"])), "PO-3")
    assert (await buyer.next_message()).text == tr.t("claim.edit.no_form")


async def _to_summary(user: SandboxUser, tr: Translator, language: str, clock: FrozenClock) -> str:
    """The demo's answers, a captioned photo as evidence, then the summary's text."""
    await answer_questions(user, tr, SCRIPTS[language], clock)
    await user.send_photo(JPEG, caption=SCRIPTS[language].photo_label)
    # The caption is the label: the next question is the tag, not the label.
    tag_question = await user.next_message()
    assert tag_question.text.startswith(step_line(tr, 13))
    assert tr.t("claim.ask.evidence_tag", number="E1") in tag_question.text
    await user.press(tr.t("tag.defect"))
    added = await user.next_message()
    assert added.text == tr.t(
        "claim.evidence.added",
        number="E1",
        label=SCRIPTS[language].photo_label,
        tag=tr.t("tag.defect"),
    )
    await user.next_message()
    # A file whose label is not given yet, dropped with Back: the reader is told.
    await user.send_document(PDF, "report.pdf", "application/pdf")
    assert tr.t("claim.ask.evidence_label", number="E2") in (await user.next_message()).text
    await user.press(tr.t("button.back"))
    assert (await user.next_message()).text == tr.t("claim.evidence.dropped", number="E2")
    assert (await user.next_message()).text.startswith(step_line(tr, 13))
    await user.press(tr.t("button.done"))
    return (await user.next_message()).text


@LANGUAGES
async def test_change_on_the_summary_goes_to_the_part_and_back(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language_code: str,
    language: str,
) -> None:
    buyer = sandbox.user("Buyer", language_code=language_code)
    tr = translator(catalogs, buyer)
    script = SCRIPTS[language]
    summary = await _to_summary(buyer, tr, language, clock)
    assert script.order_number in summary
    assert [i.label for i in await bot.services.db.evidence.list(1)] == [script.photo_label]

    # Change the order: its first question, with the saved answer; then straight back.
    await buyer.press(tr.t("button.change.order"))
    question = await buyer.next_message()
    assert question.text.startswith(step_line(tr, 1))
    assert tr.t("claim.saved", answer=script.order_number) in question.text
    _, date_question = await _answer(buyer, "PO-2026-9999")
    assert date_question.startswith(step_line(tr, 2))
    await buyer.press(tr.t("button.keep_answer"))
    summary = (await buyer.next_message()).text
    assert summary.startswith(step_line(tr, 14))
    assert "PO-2026-9999" in summary and script.order_number not in summary

    # Change the amount paid below the partial refund asked: the refund is asked again.
    await buyer.press(tr.t("button.change.paid"))
    await buyer.next_message()
    await buyer.press(tr.t("button.keep_answer"))  # same currency
    await buyer.next_message()
    await buyer.send("500")
    refund_question = await buyer.next_message()
    assert refund_question.text.startswith(step_line(tr, 12))
    await buyer.send("400")
    summary = (await buyer.next_message()).text
    assert summary.startswith(step_line(tr, 14))
    answers = await _draft_answers(bot, buyer)
    assert answers["amount"] == "500.00" and answers["outcome_amount"] == "400.00"
    assert "_change" not in answers  # the change is over

    # A new currency: the amount kept must fit it (the yen has no minor unit), so it is asked
    # again; the refund too, since it was an amount in the old currency.
    await buyer.press(tr.t("button.change.paid"))
    await buyer.next_message()
    await buyer.press("JPY")
    amount_question = await buyer.next_message()
    saved = tr.money(Decimal("500.00"), script.currency_button)  # as given, not in yen
    assert tr.t("claim.saved", answer=saved) in amount_question.text
    await buyer.press(tr.t("button.keep_answer"), message=amount_question.message_id)
    assert (await buyer.next_message()).text == tr.t("error.amount.too_many_decimals", decimals=0)
    assert (await buyer.next_message()).text.startswith(step_line(tr, 6))
    await buyer.send("80000")
    assert (await buyer.next_message()).text.startswith(step_line(tr, 12))
    await buyer.send("30000")
    assert (await buyer.next_message()).text.startswith(step_line(tr, 14))
    answers = await _draft_answers(bot, buyer)
    assert (answers["currency"], answers["amount"], answers["outcome_amount"]) == (
        "JPY",
        "80000",
        "30000",
    )

    # Back from the first question of a change leads to the summary, and Back there still
    # goes to the evidence question (the stack the summary had).
    await buyer.press(tr.t("button.change.supplier"))
    await buyer.next_message()
    await buyer.press(tr.t("button.back"))
    assert (await buyer.next_message()).text.startswith(step_line(tr, 14))
    await buyer.press(tr.t("button.back"))
    assert (await buyer.next_message()).text.startswith(step_line(tr, 13))


@LANGUAGES
async def test_late_delivery_asks_for_the_agreed_date(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language_code: str,
    language: str,
) -> None:
    buyer = sandbox.user("Buyer", language_code=language_code)
    tr = translator(catalogs, buyer)
    today = clock.now().date()
    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    for text in ("PO-5", (today - timedelta(days=30)).isoformat(), "Chairs", "10"):
        await _answer(buyer, text)
    await buyer.press("USD")
    await buyer.next_message()
    for text in ("900", "Chair Co.", "chairs@example.com"):
        await _answer(buyer, text)
    await buyer.press(tr.t("category.late_delivery"))
    assert tr.t("claim.ask.received_date") in (await buyer.next_message()).text
    received = today - timedelta(days=5)
    _, agreed_question = await _answer(buyer, received.isoformat())
    assert tr.t("claim.ask.agreed_date", received=tr.date(received)) in agreed_question
    await buyer.send(received.isoformat())  # on the day it arrived: not late
    assert (await buyer.next_message()).text == tr.t(
        "error.date.agreed_not_before_receipt", received=tr.date(received)
    )
    assert (await buyer.next_message()).text.startswith(step_line(tr, 10))
    agreed = today - timedelta(days=12)
    _, description_question = await _answer(buyer, agreed.isoformat())
    assert description_question.startswith(step_line(tr, 11))
    await _answer(buyer, "Twelve days late.")
    await buyer.press(tr.t("outcome.discount"))
    await buyer.next_message()
    await _answer(buyer, "5%")  # the discount's size
    await buyer.press(tr.t("button.done"))
    summary = (await buyer.next_message()).text
    assert tr.t("claim.summary.agreed_date", date=tr.date(agreed)) in summary
    assert tr.t("claim.summary.received", date=tr.date(received)) in summary
    assert (await _draft_answers(bot, buyer))[Step.AGREED_DATE] == agreed.isoformat()


@LANGUAGES
async def test_long_texts_are_measured_and_a_description_may_take_two_messages(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    language_code: str,
    language: str,
) -> None:
    buyer = sandbox.user("Buyer", language_code=language_code)
    tr = translator(catalogs, buyer)
    today = clock.now().date()
    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    await buyer.send("x" * 70)
    assert (await buyer.next_message()).text == tr.t(
        "error.text.too_long", length=tr.number(70), max=tr.number(64)
    )
    await buyer.next_message()
    for text in ("PO-6", (today - timedelta(days=20)).isoformat(), "Lamps", "3"):
        await _answer(buyer, text)
    await buyer.press("EUR")
    await buyer.next_message()
    for text in ("90", "Lamp Co.", "lamps@example.com"):
        await _answer(buyer, text)
    await buyer.press(tr.t("category.other"))
    await buyer.next_message()
    await _answer(buyer, (today - timedelta(days=3)).isoformat())
    # A text Telegram cut into a full message and the rest: one description of 7,096 characters.
    first = "a" * 4096
    _, outcome_question = await _answer(buyer, first)
    assert outcome_question.startswith(step_line(tr, 12))
    await buyer.send("b" * 2999)
    assert (await buyer.next_message()).text == tr.t(
        "claim.description.continued", length=tr.number(7096), max=tr.number(8000)
    )
    assert (await buyer.next_message()).text.startswith(step_line(tr, 12))
    # More than the limit in all: refused with the length it would have, the limit, kept as is.
    await buyer.send("c" * 1000)
    assert (await buyer.next_message()).text == tr.t(
        "error.text.too_long", length=tr.number(8097), max=tr.number(8000)
    )
    await buyer.next_message()
    answers = await _draft_answers(bot, buyer)
    assert answers["description"] == first + "\n" + "b" * 2999
    # Once the outcome is chosen (or after a short description), text is not a continuation.
    await buyer.press(tr.t("outcome.full_refund"))
    await buyer.next_message()
    await buyer.press(tr.t("button.back"))
    await buyer.next_message()
    await buyer.send("more")
    assert (await buyer.next_message()).text == tr.t("error.answer.use_buttons")
