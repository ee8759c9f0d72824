"""setWebhook / deleteWebhook / getWebhookInfo as Telegram has them: the secret token's rules,
a webhook that answers 403 (a bot with another secret) is retried until it answers 2xx, a
re-delivered update is posted again with its update_id, getUpdates is refused while a webhook
is set, and what was not delivered is polled after deleteWebhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict

from bot.sandbox import Sandbox, SandboxServer


class Endpoint:
    """A bot's webhook that accepts only `secret` (403 otherwise), as `run --webhook` does."""

    def __init__(self, secret: str, notify: Callable[[], None]) -> None:
        self.secret, self.notify = secret, notify
        self.accepted: list[dict[str, Any]] = []
        self.refused = 0

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != self.secret:
            self.refused += 1
            self.notify()
            return web.Response(status=403)
        self.accepted.append(await request.json())
        self.notify()  # wakes the test's sandbox.wait_until
        return web.Response(text="ok")


@pytest.fixture
async def endpoint(sandbox: Sandbox) -> AsyncIterator[tuple[Endpoint, str]]:
    hook = Endpoint("right-secret", sandbox.notify)
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield hook, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"secret_token": "has space"}, "does not match"),
        ({"secret_token": "x" * 257}, "is 257 characters; allowed 1-256"),
        ({"secret_token": "秘密"}, "does not match"),
        ({"max_connections": 0}, "is 0; allowed 1-100"),
        ({"max_connections": 101}, "is 101; allowed 1-100"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(
    bot: Bot, sandbox: Sandbox, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequest, match=message):  # checked against api.json
        await bot.set_webhook("http://127.0.0.1:9/hook", **kwargs)
    assert not sandbox.webhook.active
    assert len(sandbox.violations) == 1
    sandbox.violations.clear()


async def test_a_refused_delivery_is_retried_until_the_bot_takes_it(
    bot: Bot, sandbox: Sandbox, endpoint: tuple[Endpoint, str]
) -> None:
    hook, url = endpoint
    alice = sandbox.user("Alice")
    await bot.set_webhook(url, secret_token="wrong-secret", max_connections=5)
    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections) == (url, 5)
    await alice.send("hello")
    await sandbox.wait_until(lambda: hook.refused >= 2, timeout=10)  # retried
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
    assert hook.accepted == []

    await bot.set_webhook(url, secret_token="right-secret")  # the operator fixes the secret
    await sandbox.wait_until(lambda: hook.accepted, timeout=10)
    assert [u["message"]["text"] for u in hook.accepted] == ["hello"]
    assert (await bot.get_webhook_info()).pending_update_count == 0
    statuses = [status for _, status in sandbox.webhook.deliveries]
    assert statuses[-1] == 200 and set(statuses[:-1]) == {403}


async def test_a_redelivered_update_is_posted_again_with_its_id(
    bot: Bot, sandbox: Sandbox, server: SandboxServer, endpoint: tuple[Endpoint, str]
) -> None:
    hook, url = endpoint
    alice = sandbox.user("Alice")
    await bot.set_webhook(url, secret_token="right-secret")
    await alice.send("once")
    await sandbox.wait_until(lambda: len(hook.accepted) == 1, timeout=10)
    update_id = hook.accepted[0]["update_id"]

    # Through the control API, as an operator testing a bot by hand would.
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}/_sandbox/updates/{update_id}/redeliver") as response,
    ):
        assert (await response.json())["result"]["update_id"] == update_id
    await sandbox.wait_until(lambda: len(hook.accepted) == 2, timeout=10)
    assert hook.accepted[1] == hook.accepted[0]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/_sandbox/webhook") as response,
    ):
        info = (await response.json())["result"]
    assert info["url"] == url
    assert info["deliveries"] == [
        {"update_id": update_id, "status": 200},
        {"update_id": update_id, "status": 200},
    ]


async def test_polling_is_refused_while_a_webhook_is_set_and_gets_what_was_left(
    bot: Bot, sandbox: Sandbox
) -> None:
    alice = sandbox.user("Alice")
    # Nobody listens there: every delivery fails, the updates wait.
    await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s")
    await alice.send("one")
    await alice.send("two")
    with pytest.raises(Conflict, match="use deleteWebhook to delete the webhook first"):
        await bot.get_updates(timeout=0)
    await sandbox.wait_until(lambda: sandbox.webhook.last_error_message, timeout=10)
    assert (await bot.get_webhook_info()).last_error_message.startswith("Connection failed")

    assert await bot.delete_webhook()  # the switch back to polling keeps what was pending
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("", 2)
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["one", "two"]

    await bot.set_webhook("http://127.0.0.1:9/hook", drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.delete_webhook()


class HoldingEndpoint:
    """Accepts everything, but holds the answer to any update whose text is "hold" until
    released: what a bot still handling an update looks like to Telegram."""

    def __init__(self, notify: Callable[[], None]) -> None:
        self.notify = notify
        self.arrived: list[str] = []
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        message = update.get("message") or {}
        self.arrived.append(message.get("text") or next(k for k in update if k != "update_id"))
        self.notify()  # wakes the test's sandbox.wait_until
        if message.get("text", "").startswith("hold"):
            await self.release.wait()
        return web.Response(text="ok")


@pytest.fixture
async def holding(sandbox: Sandbox) -> AsyncIterator[tuple[HoldingEndpoint, str]]:
    hook = HoldingEndpoint(sandbox.notify)
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield hook, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    hook.release.set()
    await runner.cleanup()


async def test_one_chat_waits_for_its_answer_while_other_chats_go_on(
    bot: Bot, sandbox: Sandbox, holding: tuple[HoldingEndpoint, str]
) -> None:
    hook, url = holding
    alice, bob = sandbox.user("Alice"), sandbox.user("Bob")
    await bot.set_webhook(url, max_connections=10)
    await alice.send("hold: first")
    await sandbox.wait_until(lambda: hook.arrived == ["hold: first"], timeout=10)
    await alice.send("second")  # the same chat: not before the first is answered
    await bob.send("bob's")  # another chat: at once
    await sandbox.wait_until(lambda: "bob's" in hook.arrived, timeout=10)
    assert "second" not in hook.arrived
    assert (await bot.get_webhook_info()).pending_update_count == 2  # held, and waiting

    hook.release.set()
    await sandbox.wait_until(lambda: "second" in hook.arrived, timeout=10)
    assert hook.arrived == ["hold: first", "bob's", "second"]
    await sandbox.wait_until(lambda: not sandbox.updates.pending, timeout=10)


async def test_max_connections_bounds_the_requests_in_flight(
    bot: Bot, sandbox: Sandbox, holding: tuple[HoldingEndpoint, str]
) -> None:
    hook, url = holding
    alice, bob, carol = sandbox.user("Alice"), sandbox.user("Bob"), sandbox.user("Carol")
    await bot.set_webhook(url, max_connections=2)
    await alice.send("hold a")
    await bob.send("hold b")
    await carol.send("carol")
    await sandbox.wait_until(lambda: len(hook.arrived) == 2, timeout=10)
    assert sorted(hook.arrived) == ["hold a", "hold b"]  # both connections are busy
    hook.release.set()
    await sandbox.wait_until(lambda: "carol" in hook.arrived, timeout=10)
    await sandbox.wait_until(lambda: not sandbox.updates.pending, timeout=10)
