"""Errors reach the people they concern: the user who pressed or wrote (an alert while the
button press is unanswered, a message once it was answered), the operators' error chat (a short
report, no stack trace), and never silence the other readers of an announcement: one failed
send is logged with the case and update ids, recorded, and the rest still go out.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from bot.config import Settings
from bot.demo_dispute import counter_propose_partial_refund
from bot.sandbox import Sandbox, SandboxChat, SandboxUser
from flows.clock import FrozenClock
from flows.logs import ContextFilter
from flows.rules.lifecycle import CaseState
from locales.i18n import Catalogs, Translator
from tests.e2e.conftest import TOKEN, BotHarness, translator
from tests.e2e.dispute_steps import open_case, saying, settled_text, showing


@pytest.fixture
async def operators(sandbox: Sandbox) -> SandboxChat:
    """The operators' error chat: a group the bot was added to by hand."""
    olga = sandbox.user("Olga", language_code="en")
    group = sandbox.group("disputebot errors", creator=olga)
    await olga.add_bot_to_group(group)
    return group


@pytest.fixture
def settings(settings: Settings, operators: SandboxChat) -> Settings:
    return settings.model_copy(update={"error_chat_id": operators.id})


def _update_id(sandbox: Sandbox, query_id: str) -> int:
    """The id of the update that carried a button press."""
    for update in sandbox.updates.log:
        if update.get("callback_query", {}).get("id") == query_id:
            return int(update["update_id"])
    raise AssertionError(f"no update for callback query {query_id}")


async def _report(
    sandbox: Sandbox, catalogs: Catalogs, operators: SandboxChat, case_id: int, update_id: int
) -> str:
    """The one report in the operators' chat, checked for what it must and must not say."""
    texts: list[str] = await sandbox.wait_until(
        lambda: [r.text for r in operators.bot_messages()] or None
    )
    [report] = texts
    tr = catalogs.translator("en")  # the operators' chat speaks DEFAULT_LANGUAGE
    head = tr.t(
        "error.report", case=f"case_id={case_id}", update=update_id, kind="NetworkError", detail=""
    )
    assert report.startswith(head.rstrip()), report
    assert TOKEN not in report and TOKEN.split(":")[1] not in report
    assert "Traceback" not in report and "File " not in report
    return report


async def _claim_started(bot: BotHarness, user: SandboxUser) -> int:
    """The user starts a claim; the id of its draft case once the first question is shown."""
    await user.send("/new")
    await user.next_message()  # "let's file your claim"
    await user.next_message()  # the order number, with Cancel
    active = await bot.services.db.cases.active_draft_for(user.id)
    assert active is not None
    return active[0].id


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_a_crash_after_the_press_was_answered_reaches_the_user_as_a_message(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    operators: SandboxChat,
    language: str,
) -> None:
    buyer = sandbox.user("Anna", language_code=language)
    tr = translator(catalogs, buyer)
    case_id = await _claim_started(bot, buyer)
    # Cancel answers the press, then asks "discard this claim?": that message fails (500),
    # so the handler raises after the press was answered.
    sandbox.faults.inject("sendMessage", "500", chat_id=buyer.id)
    answer = await buyer.press(tr.t("button.cancel"))
    assert answer.text is None and not answer.show_alert

    apology = await buyer.wait_for(saying(tr.t("error.generic")))
    assert apology
    update_id = _update_id(sandbox, answer.query_id)
    await _report(sandbox, catalogs, operators, case_id, update_id)
    # Nothing was lost: the claim continues where it was.
    await buyer.send("/new")
    await buyer.wait_for(saying(tr.t("claim.resume", number=f"#{case_id}")))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_a_crash_before_the_press_was_answered_shows_the_apology_as_an_alert(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    operators: SandboxChat,
    language: str,
) -> None:
    buyer = sandbox.user("Anna", language_code=language)
    tr = translator(catalogs, buyer)
    case_id = await _claim_started(bot, buyer)
    before = len(buyer.private_chat.bot_messages())
    # The claim form clears the pressed question's buttons before it answers the press.
    sandbox.faults.inject("editMessageReplyMarkup", "502", chat_id=buyer.id)
    answer = await buyer.press(tr.t("button.cancel"))
    assert answer.text == tr.t("error.generic") and answer.show_alert

    await _report(sandbox, catalogs, operators, case_id, _update_id(sandbox, answer.query_id))
    assert len(buyer.private_chat.bot_messages()) == before  # the alert said it; no message


# The recipient whose copy of the settlement fails, and how: a server error, a refusal (400),
# a dropped connection. Everyone else still reads it.
FAILURES = [("buyer", "500"), ("group", "400"), ("supplier", "drop")]


@pytest.mark.parametrize(("failing", "kind"), FAILURES, ids=[f"{w}-{k}" for w, k in FAILURES])
async def test_one_failed_send_does_not_silence_the_settlement(
    bot: BotHarness,
    sandbox: Sandbox,
    catalogs: Catalogs,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
    failing: str,
    kind: str,
) -> None:
    caplog.handler.addFilter(ContextFilter())  # the ids the production log format prints
    caplog.set_level(logging.INFO)
    case = await open_case(bot, sandbox, catalogs, clock)
    await counter_propose_partial_refund(case.supplier, case.str_, "800")
    proposal = await case.buyer.wait_for(showing(case.btr.t("button.accept")))
    chats = {"buyer": case.buyer.id, "supplier": case.supplier.id, "group": case.group.id}
    await case.buyer.press(case.btr.t("button.accept"), message=proposal.message_id)
    yes = case.btr.t("button.accept_yes", number="P1")
    question = await case.buyer.wait_for(showing(yes))
    sandbox.faults.inject("sendMessage", kind, chat_id=chats[failing])

    answer = await case.buyer.press(yes, message=question.message_id)
    assert answer.text == case.btr.t("proposal.accepted_ack") and not answer.show_alert
    assert await case.state() is CaseState.SETTLED
    [duty] = await bot.services.db.obligations.list(case.case_id)
    amount = Decimal("800.00")

    def settled(tr: Translator) -> str:
        return settled_text(tr, case, "P1", "role.buyer", amount, duty.due_at)

    readers: dict[str, tuple[SandboxUser, Any, Any]] = {
        "buyer": (case.buyer, None, saying(settled(case.btr))),
        "supplier": (case.supplier, None, saying(settled(case.str_))),
        "group": (
            case.buyer,
            case.group,
            lambda e: settled(case.btr) in e.text and settled(case.str_) in e.text,
        ),
    }
    for name, (user, chat, told) in readers.items():
        if name != failing:
            await user.wait_for(told, chat=chat)
    user, chat, told = readers[failing]
    assert not [e for e in user.transcript(chat) if e.from_bot and told(e)]

    failed = [
        r
        for r in caplog.records
        if str(chats[failing]) in r.getMessage() and r.levelno >= logging.WARNING
    ]
    assert failed, "the failed delivery was not logged"
    assert all(getattr(r, "case_id", None) == case.case_id for r in failed)
    assert all(isinstance(getattr(r, "update_id", None), int) for r in failed)
    events = await bot.services.db.history.list(case.case_id)
    recorded = [e.payload for e in events if e.kind == "delivery.failed"]
    assert [p["to"] for p in recorded] == [chats[failing]]
