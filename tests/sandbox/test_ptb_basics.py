"""The sandbox against real python-telegram-bot: identity, messages, buttons, files."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox import Sandbox, SandboxServer
from tests.sandbox.conftest import Recorder, build_app, running


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "DisputeTestBot"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.id == 123456


async def test_wrong_token_is_unauthorized(server: SandboxServer) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123456:WRONG", base_url=server.base_url):
            pass


async def test_inline_keyboard_press_and_answer(sandbox: Sandbox, server: SandboxServer) -> None:
    alice = sandbox.user("Alice", username="alice")
    app = build_app(server)
    recorder = Recorder()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Yes ✅", callback_data="yes:1")],
                [InlineKeyboardButton("Docs", url="https://example.org/docs")],
            ]
        )
        await context.bot.send_message(update.effective_chat.id, "Proceed?", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await recorder.handle(update, context)
        assert update.callback_query is not None
        await update.callback_query.answer("Noted", show_alert=True)
        await update.callback_query.edit_message_text("You said yes")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with running(app, sandbox):
        await alice.send("/start")
        question = await alice.next_message()
        assert question.text == "Proceed?"
        assert question.buttons == [[("Yes ✅", "yes:1")], [("Docs", "https://example.org/docs")]]
        answer = await alice.press("Yes ✅")
        assert (answer.text, answer.show_alert) == ("Noted", True)
        update = recorder.updates[0]
        assert update.callback_query is not None
        assert update.callback_query.data == "yes:1"
        assert update.callback_query.from_user.id == alice.id
        edited = await alice.wait_for(lambda m: m.text == "You said yes")
        assert edited.edited and edited.buttons == []
    assert sandbox.callback_answers[0].text == "Noted"


async def test_set_my_commands_per_scope_and_language(bot: Bot, sandbox: Sandbox) -> None:
    await bot.set_my_commands(
        [BotCommand("start", "Start"), BotCommand("help", "Help")],
        scope=BotCommandScopeDefault(),
        language_code="en",
    )
    await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    assert sandbox.commands(language_code="en") == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["开始"]
    assert await bot.get_my_commands() == ()
    await bot.delete_my_commands(language_code="zh")
    assert sandbox.commands(language_code="zh") == []


async def test_user_who_never_started_is_forbidden(bot: Bot, sandbox: Sandbox) -> None:
    bob = sandbox.user("Bob")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(bob.id, "hello")
    await bob.send("hi")
    await bot.send_message(bob.id, "hello")
    bob.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(bob.id, "hello again")
    assert sandbox.updates.log[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    assert bob.bot_texts() == ["hello"]


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(42, "hello")
