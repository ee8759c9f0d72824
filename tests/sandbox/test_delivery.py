"""Update delivery: long polling through PTB's Updater, and webhooks with a secret token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from bot.sandbox import Sandbox, SandboxServer
from tests.sandbox.conftest import Recorder, build_app, running


class Receiver:
    """A webhook endpoint that records what it receives; fails the first ``failures`` posts."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.failures = failures
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures:
            self.failures -= 1
            return web.Response(status=500)
        self.received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        self.arrived.set()
        return web.Response(text="ok")

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver(failures=1)
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield hook, f"http://127.0.0.1:{port}/hook"
    await runner.cleanup()


async def test_webhook_push_with_secret(
    bot: Bot, sandbox: Sandbox, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    alice = sandbox.user("Alice")
    await bot.set_webhook(url, secret_token="s3cret-token", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert info.url == url
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await alice.send("/start")
    await alice.send("second")
    await hook.wait(2)  # the first attempt failed with 500 and was retried
    assert [(u["message"]["text"], secret) for u, secret in hook.received] == [
        ("/start", "s3cret-token"),
        ("second", "s3cret-token"),
    ]
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert sandbox.webhook.last_error_message is not None
    await bot.delete_webhook()
    await alice.send("polled")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["polled"]
    assert len(sandbox.webhook.deliveries) == 3


async def test_polling_application_receives_updates(
    sandbox: Sandbox, server: SandboxServer
) -> None:
    alice = sandbox.user("Alice")
    bob = sandbox.user("Bob")
    group = sandbox.group("Deal", creator=alice)
    recorder = Recorder()
    app = build_app(server)
    app.add_handler(MessageHandler(filters.ALL, recorder.handle))
    app.add_handler(ChatMemberHandler(recorder.handle, ChatMemberHandler.ANY_CHAT_MEMBER))
    async with running(app, sandbox, allowed_updates=Update.ALL_TYPES):
        await alice.send("hello")
        await alice.edit(1, "hello, edited")
        await alice.add_bot_to_group(group, admin_rights=["invite_users"])
        await bob.join(group)
        await recorder.wait_for(lambda u: u.chat_member is not None)
        await recorder.wait_for(lambda u: u.edited_message is not None)
    kinds = [
        "message"
        if u.message
        else "edited"
        if u.edited_message
        else "my_chat_member"
        if u.my_chat_member
        else "chat_member"
        if u.chat_member
        else "?"
        for u in recorder.updates
    ]
    assert kinds == ["message", "edited", "my_chat_member", "message", "chat_member", "message"]
    assert recorder.updates[1].edited_message is not None
    assert recorder.updates[1].edited_message.text == "hello, edited"
    assert sandbox.updates.pending == []  # all confirmed by offset


async def test_an_unconfirmed_update_is_delivered_again(bot: Bot, sandbox: Sandbox) -> None:
    """A bot killed before confirming an update gets the same update (same id) again."""
    alice = sandbox.user("Alice")
    await alice.send("first")
    await alice.send("second")
    received = await bot.get_updates()
    first, second = (u.update_id for u in received)
    await bot.get_updates(offset=second + 1)  # both confirmed
    assert sandbox.updates.pending == []

    sandbox.redeliver(first)  # the bot "was killed" before that confirmation reached Telegram
    again = await bot.get_updates()  # a restarted bot polls without an offset
    assert [(u.update_id, u.message.text if u.message else None) for u in again] == [
        (first, "first")
    ]
    # Still pending until confirmed, and confirmed like any other update.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first]
    assert await bot.get_updates(offset=first + 1, timeout=0) == ()
    with pytest.raises(KeyError):
        sandbox.redeliver(second + 100)
