"""Each update once: an update Telegram delivers again (the bot was killed before confirming it)
changes nothing and sends nothing, and a failure after an answer was saved carries on instead of
asking the user to type it again.

The kill is modelled as it happens: the bot stops, Telegram never got the confirmation, and the
update is delivered again, with the same update_id, to the bot that starts next.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.demo import SCRIPTS, file_claim
from bot.demo_dispute import LINK, invite_supplier
from bot.sandbox import Sandbox, SandboxUser
from flows.claim_steps import Step
from flows.clock import FrozenClock
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import after_pending_updates, open_case, saying


def last_update_id(sandbox: Sandbox, kind: str) -> int:
    """The id of the newest update of this kind the sandbox emitted."""
    update: dict[str, Any] = next(u for u in reversed(sandbox.updates.log) if kind in u)
    return int(update["update_id"])


async def killed_before_confirming(bot: BotHarness, sandbox: Sandbox, update_id: int) -> None:
    """The bot goes down; Telegram, never told the update was handled, delivers it again."""
    await bot.stop()
    sandbox.redeliver(update_id)
    await bot.start()
    await sandbox.wait_until(lambda: update_id not in _pending(sandbox))  # handled, confirmed


def _pending(sandbox: Sandbox) -> set[int]:
    return {int(u["update_id"]) for u in sandbox.updates.pending}


async def _to_supplier_name(buyer: SandboxUser, tr: Translator, clock: FrozenClock) -> None:
    """Answer the claim form up to the supplier's name."""
    today = clock.now().date()
    await buyer.send("/new")
    await buyer.next_message()
    await buyer.next_message()
    for answer in ("PO-1", (today - timedelta(days=20)).isoformat(), "Desk lamps", "1,000"):
        await buyer.send(answer)
        await buyer.next_message()
    for answer in ("jpy", "250000"):
        await buyer.send(answer)
        await buyer.next_message()


async def test_a_form_answer_delivered_again_is_not_the_next_answer(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Tester", language_code="en")
    tr = translator(catalogs, buyer)
    await _to_supplier_name(buyer, tr, clock)
    await buyer.send("Ningbo Light Co.")
    name_update = last_update_id(sandbox, "message")
    contact_question = await buyer.next_message()
    assert contact_question.text.startswith(tr.t("claim.progress", n=8, total=14))

    await killed_before_confirming(bot, sandbox, name_update)
    await buyer.send("light@example.com")
    # The name did not become the contact as well: the contact is what the buyer typed, and
    # the next thing the bot said is the category question, once.
    assert (await buyer.next_message()).text.startswith(tr.t("claim.progress", n=9, total=14))
    active = await bot.services.db.cases.active_draft_for(buyer.id)
    assert active is not None
    _, draft = active
    assert draft.step == Step.CATEGORY
    assert draft.answers["supplier_name"] == "Ningbo Light Co."
    assert draft.answers["supplier_contact"] == "light@example.com"
    assert buyer.skip_messages() == 0


async def test_a_group_message_delivered_again_is_recorded_once(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    said = "The cartons were wet on arrival; photos follow."
    await case.buyer.send(said, chat=case.group)
    update_id = last_update_id(sandbox, "message")
    await after_pending_updates(case.buyer, case.group)
    before = case.buyer.skip_messages(case.group)

    await killed_before_confirming(bot, sandbox, update_id)
    await after_pending_updates(case.buyer, case.group)
    history = await bot.services.db.history.list(case.case_id)
    recorded = [e for e in history if e.kind == "chat.message" and said in str(e.payload)]
    assert len(recorded) == 1
    assert (await bot.services.db.history.verify(case.case_id)).ok
    assert case.buyer.skip_messages(case.group) == 0, before  # nothing said again in the chat


async def test_a_button_press_delivered_again_changes_nothing(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    buyer = sandbox.user("Anna", language_code="en")
    supplier = sandbox.user("王芳", language_code="zh-hans")
    btr, str_ = translator(catalogs, buyer), translator(catalogs, supplier)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    invitation = await invite_supplier(buyer, btr)
    press = last_update_id(sandbox, "callback_query")
    answers = len(sandbox.callback_answers)
    said = len(buyer.private_chat.bot_messages())

    await killed_before_confirming(bot, sandbox, press)
    await buyer.send("/withdraw")
    question = btr.t("withdraw.confirm", number="#1")
    await buyer.wait_for(saying(question))
    # No second invitation (which would have revoked the one the buyer passed on), no second
    # answer to the press (Telegram refuses it: an error and an apology), and nothing but the
    # answer to /withdraw was sent.
    assert len(sandbox.callback_answers) == answers
    assert [e.text for e in buyer.transcript() if e.from_bot][said:] == [question]
    assert not [r for r in caplog.records if r.name == "bot.errors"]
    sent = [e for e in buyer.transcript() if e.from_bot]
    assert len([e for e in sent if LINK.search(e.text)]) == 1
    await supplier.open_link(invitation)
    claim = await supplier.next_message()
    assert str_.t("button.i_am_supplier") in claim.button_texts


async def test_a_failed_send_after_a_saved_answer_asks_the_next_question(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    buyer = sandbox.user("Tester", language_code="zh-hans")
    tr = translator(catalogs, buyer)
    await _to_supplier_name(buyer, tr, clock)
    # The answer is saved; the next question fails to go out (Telegram answers 500).
    sandbox.faults.inject("sendMessage", "500", chat_id=buyer.id)
    await buyer.send("Ningbo Light Co.")
    told = await buyer.next_message()
    assert told.text == tr.t("error.saved.continue")
    assert (await buyer.next_message()).text.startswith(tr.t("claim.progress", n=8, total=14))
    # What the buyer types next answers the question they were shown.
    await buyer.send("light@example.com")
    assert (await buyer.next_message()).text.startswith(tr.t("claim.progress", n=9, total=14))
    active = await bot.services.db.cases.active_draft_for(buyer.id)
    assert active is not None
    assert active[1].answers["supplier_contact"] == "light@example.com"


async def test_a_failure_in_a_group_command_is_not_called_saved(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    """The group message is recorded before the command in it is handled; a command that then
    fails before changing anything must not be told "it was saved, do not send it again"."""
    case = await open_case(bot, sandbox, catalogs, clock)
    case.buyer.skip_messages(case.group)
    # /withdraw in the group asks the buyer privately; that question fails to go out.
    sandbox.faults.inject("sendMessage", "500", chat_id=case.buyer.id)
    await case.buyer.send("/withdraw", chat=case.group)
    apology = await case.buyer.next_message(case.group)
    assert apology.text == case.btr.t("error.generic")
