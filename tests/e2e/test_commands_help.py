"""Every command discoverable: the menus (private and group, English and Chinese), /help in the
private chat and in a dispute chat (by role and state), /case and /cases in a group, and the
"add the case number" hint naming the command that was used."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, MessageEntity, Update, User
from telegram.ext import CommandHandler

from bot.commands import COMMAND_KEYS, GROUP_COMMAND_KEYS
from bot.demo import SCRIPTS, file_claim
from bot.sandbox import Sandbox
from flows.audience import DIVIDER
from flows.clock import FrozenClock
from flows.mediator_pool import MEDIATOR_COMMANDS
from locales.i18n import Catalogs
from tests.e2e.conftest import BotHarness, translator
from tests.e2e.dispute_steps import (
    after_pending_updates,
    contest,
    create_dispute_chat,
    last_bot_entry,
    open_case,
)

PRIVATE = ("all_private_chats", None, None)
GROUPS = ("all_group_chats", None, None)


def _handled_commands(bot: BotHarness, chat_type: str) -> set[str]:
    """The commands the running bot answers in a chat of `chat_type`, from its handlers."""
    assert bot.app is not None
    found: set[str] = set()
    for handlers in bot.app.handlers.values():
        for handler in handlers:
            if not isinstance(handler, CommandHandler):
                continue
            for command in handler.commands:
                message = Message(
                    1,
                    datetime(2026, 1, 1, tzinfo=UTC),
                    Chat(-5 if chat_type != "private" else 5, chat_type),
                    from_user=User(5, "U", False),
                    text=f"/{command}",
                    entities=[MessageEntity("bot_command", 0, len(command) + 1)],
                )
                message.set_bot(bot.app.bot)
                if handler.check_update(Update(1, message=message)):
                    found.add(command)
    return found - MEDIATOR_COMMANDS  # the mediators', not in the parties' menus


@pytest.mark.parametrize(("language_code", "menu_code"), [("en", "en"), ("zh-hans", "zh")])
async def test_menus_and_private_help_list_every_command(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, language_code: str, menu_code: str
) -> None:
    reader = sandbox.user("Reader", language_code=language_code)
    tr = translator(catalogs, reader)
    private = sandbox.settings.commands[(PRIVATE, menu_code)]
    groups = sandbox.settings.commands[(GROUPS, menu_code)]
    assert {c["command"] for c in private} == _handled_commands(bot, "private")
    assert {c["command"] for c in groups} == _handled_commands(bot, "supergroup") - {"start"}
    descriptions = dict(COMMAND_KEYS)
    assert all(c["description"] == tr.t(descriptions[c["command"]]) for c in private)
    group_descriptions = dict(GROUP_COMMAND_KEYS)
    assert all(c["description"] == tr.t(group_descriptions[c["command"]]) for c in groups)
    # The default menu (no language) is English.
    assert sandbox.settings.commands[(GROUPS, "")] == sandbox.settings.commands[(GROUPS, "en")]

    await reader.send("/help")
    help_text = (await reader.next_message()).text
    assert help_text == tr.t("help.text")
    for command in _handled_commands(bot, "private"):
        assert f"/{command}" in help_text, command


async def test_group_help_by_role_and_state_case_and_cases(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    case = await open_case(bot, sandbox, catalogs, clock)
    btr, str_ = case.btr, case.str_
    group = case.group

    # The buyer, waiting for the supplier's answer: propose and withdraw, no blind bidding yet.
    await case.buyer.send("/help", chat=group)
    shown = await case.buyer.wait_for(lambda e: btr.t("help.group.case") in e.text, chat=group)
    for tr in (btr, str_):  # English buyer, Chinese supplier: both languages
        assert tr.t("help.group.withdraw") in shown.text
        assert tr.t("help.group.propose") in shown.text
        assert tr.t("help.group.evidence") in shown.text
        assert tr.t("help.group.blindbid") not in shown.text
    header = btr.t("help.group.header", line="", name="Anna", role=btr.t("role.buyer")).strip()
    assert header in shown.text

    # The supplier, once the claim is contested: blind bidding, never the buyer's withdrawal.
    await contest(case)
    await case.supplier.send("/help", chat=group)
    supplier_role = str_.t("help.group.header", line="", name="王芳", role=str_.t("role.supplier"))
    shown = await case.supplier.wait_for(
        lambda e: supplier_role.strip() in e.text, chat=group, timeout=10
    )
    for tr in (btr, str_):
        assert tr.t("help.group.blindbid") in shown.text
        assert tr.t("help.group.mediator") in shown.text  # the supplier may ask at once
        assert tr.t("help.group.withdraw") not in shown.text

    # /case and /cases in the group: the group's own case; the list goes to the private chat.
    await after_pending_updates(case.buyer, group)
    case.buyer.skip_messages(group)
    await case.buyer.send("/case 999", chat=group)  # another number: still this group's case
    summary = await case.buyer.next_message(group)
    assert SCRIPTS["en"].order_number in summary.text
    assert f"#{case.case_id}" in summary.text and btr.t("claim.summary.evidence_header") in (
        summary.text
    )
    assert str_.t("claim.summary.evidence_header") in summary.text
    case.buyer.skip_messages()
    await case.buyer.send("/cases", chat=group)
    listed = await case.buyer.next_message()
    assert listed.text.startswith(btr.t("cases.header"))
    note = await case.buyer.wait_for(lambda e: btr.t("help.group.cases_sent") in e.text, chat=group)
    assert str_.t("help.group.cases_sent") in note.text


async def test_help_in_a_group_that_is_no_dispute_chat(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs
) -> None:
    li = sandbox.user("李", language_code="zh")
    tr = translator(catalogs, li)
    group = sandbox.group("随便一个群", creator=li)
    await li.add_bot_to_group(group)
    for command in ("/help", "/case", "/cases"):
        await li.send(command, chat=group)
    await sandbox.wait_until(lambda: len(li.bot_texts(group)) >= 3)
    # The join said nothing (flows/dispute_chat.py: the "not linked" hint is owed to a later
    # message); each command is answered with how a group becomes a dispute chat.
    assert li.bot_texts(group) == [tr.t("help.group.unbound")] * 3


async def test_a_stranger_in_the_chat_is_told_it_is_not_theirs(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock
) -> None:
    """Someone the bot could not remove from the dispute chat (Telegram refused: a group with
    anyone but the parties in it is never bound, tests/e2e/test_bind_strangers.py) learns whose
    chat it is, never the claim."""
    buyer = sandbox.user("Anna", language_code="en")
    eve = sandbox.user("Eve", language_code="zh-hans")
    btr, etr = translator(catalogs, buyer), translator(catalogs, eve)
    await file_claim(buyer, btr, SCRIPTS["en"], clock)
    group = await create_dispute_chat(sandbox, buyer, btr, last_bot_entry(buyer), "PO-2026-1142")
    sandbox.faults.inject("banChatMember", "400", reason="not enough rights")
    _, leaked = await sandbox.call("createChatInviteLink", {"chat_id": group.id})
    await eve.open_link(leaked["result"]["invite_link"])
    await buyer.wait_for(
        lambda e: btr.t("group.stranger_not_removed", name="Eve") in e.text, chat=group
    )
    # The buyer's language and the asker's: both read the group.
    expected = DIVIDER.join(
        [btr.t("help.group.stranger", number="#1"), etr.t("help.group.stranger", number="#1")]
    )
    before = eve.bot_texts(group).count(expected)
    for command in ("/help", "/case 1"):
        await eve.send(command, chat=group)
    await sandbox.wait_until(lambda: eve.bot_texts(group).count(expected) == before + 2)
    texts = eve.bot_texts(group)
    assert not any(SCRIPTS["en"].description in text for text in texts[texts.index(expected) :])


@pytest.mark.parametrize("language_code", ["en", "zh-hans"])
async def test_which_case_hint_names_the_command_used(
    bot: BotHarness, sandbox: Sandbox, catalogs: Catalogs, clock: FrozenClock, language_code: str
) -> None:
    buyer = sandbox.user("Buyer", language_code=language_code)
    tr = translator(catalogs, buyer)
    script = SCRIPTS["zh_Hans" if language_code.startswith("zh") else "en"]
    await file_claim(buyer, tr, script, clock)
    await file_claim(buyer, tr, script, clock)
    for command in ("/withdraw", "/mediator", "/blindbid"):
        await buyer.send(command)
        assert (await buyer.next_message()).text == tr.t(
            "case.which", numbers="#1, #2", example=f"{command} 2"
        )
