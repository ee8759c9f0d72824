"""The webhook endpoint in process (`bot/webhook.py: webhook_app`, served over ASGI without a
socket): the test plays Telegram, taking each update the sandbox queued and posting it, so it
can post one update twice at once, as Telegram does when it retries a slow answer or as two
workers behind one proxy would receive it. The update applies once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.sandbox import Sandbox, SandboxServer
from bot.webhook import SECRET_HEADER, webhook_app
from flows.clock import FrozenClock
from flows.services import SERVICES_KEY, Services
from locales.i18n import Catalogs
from tests.e2e.conftest import translator

SECRET = "in-process-secret"
AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@pytest.fixture
async def client(
    settings: Settings, clock: FrozenClock, server: SandboxServer
) -> AsyncIterator[tuple[httpx.AsyncClient, AnyApplication]]:
    application = build_application(settings, clock)
    await application.initialize()
    assert application.post_init is not None and application.post_shutdown is not None
    await application.post_init(application)
    await application.start()
    transport = httpx.ASGITransport(app=webhook_app(application, SECRET, "/hook"))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            yield http, application
    finally:
        await application.stop()
        await application.post_shutdown(application)
        await application.shutdown()


async def deliver(
    http: httpx.AsyncClient, sandbox: Sandbox, copies: int = 1
) -> list[dict[str, Any]]:
    """Post every update the sandbox queued (`copies` times each, at once); confirm them."""
    updates, sandbox.updates.pending = list(sandbox.updates.pending), []
    for update in updates:
        answers = await asyncio.gather(
            *(
                http.post("/hook", json=update, headers={SECRET_HEADER: SECRET})
                for _ in range(copies)
            )
        )
        assert [a.status_code for a in answers] == [200] * copies
    return updates


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_an_update_posted_twice_at_once_applies_once(
    client: tuple[httpx.AsyncClient, AnyApplication],
    sandbox: Sandbox,
    catalogs: Catalogs,
    language: str,
) -> None:
    http, application = client
    services = application.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    buyer = sandbox.user("Anna" if language == "en" else "小明", language_code=language)
    tr = translator(catalogs, buyer)

    await buyer.send("/new")
    await deliver(http, sandbox)
    await buyer.next_message(timeout=10)  # let's file your claim
    assert (await buyer.next_message(timeout=10)).text.endswith(tr.t("claim.ask.order_number"))

    await buyer.send("PO-2026-1142")
    (answer,) = await deliver(http, sandbox, copies=2)
    asked = await buyer.next_message(timeout=10)
    assert asked.text.endswith(tr.t("claim.ask.order_date"))
    after = [e.text for e in buyer.transcript() if e.from_bot]
    assert after.count(asked.text) == 1, "the next question was asked once"
    assert await services.db.updates.handled(application.bot.id, answer["update_id"])
    (case,) = await services.db.cases.list_for_user(buyer.id)
    draft = await services.db.drafts.get(case.id)
    assert draft is not None
    assert draft.answers["order_number"] == "PO-2026-1142"

    # Delivered once more later (a retry after a lost 200): still nothing new.
    sandbox.updates.redeliver(answer["update_id"])
    await deliver(http, sandbox)
    assert [e.text for e in buyer.transcript() if e.from_bot] == after


async def test_a_post_without_the_secret_is_refused_before_its_body_is_read(
    client: tuple[httpx.AsyncClient, AnyApplication], sandbox: Sandbox
) -> None:
    http, _ = client
    sent = len(sandbox.requests)
    headers: dict[str, str | bytes]
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: "ïñvalid".encode()}):
        answer = await http.post("/hook", content=b"not even JSON", headers=headers)
        assert answer.status_code == 403
    answer = await http.post("/hook", content=b"not even JSON", headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 400  # with the secret, an unreadable body is a bad request
    assert (await http.get("/hook")).status_code == 405
    assert sandbox.requests[sent:] == []
