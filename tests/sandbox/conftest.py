"""Fixtures for the sandbox tests: a sandbox, its HTTP server, a PTB Bot and Application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.sandbox import Sandbox, SandboxServer

logging.getLogger("httpx").setLevel(logging.WARNING)

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
def sandbox() -> Sandbox:
    """A fresh sandbox; tests that provoke violations clear them themselves."""
    return Sandbox(bot_token=TOKEN, bot_username="DisputeTestBot", bot_name="Dispute Bot")


@pytest.fixture
async def server(sandbox: Sandbox) -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sandbox) as running:
        yield running
    sandbox.assert_no_violations()


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN, base_url=server.base_url, base_file_url=server.base_file_url
    ) as telegram_bot:
        yield telegram_bot


class Recorder:
    """Collects the updates an Application handled."""

    def __init__(self) -> None:
        self.updates: list[Update] = []
        self._event = asyncio.Event()

    async def handle(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert isinstance(update, Update)
        self.updates.append(update)
        self._event.set()

    async def wait_for(self, predicate: Callable[[Update], bool], timeout: float = 5.0) -> Update:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                for update in self.updates:
                    if predicate(update):
                        return update
                self._event.clear()
                await self._event.wait()


def build_app(server: SandboxServer) -> Application[Any, Any, Any, Any, Any, Any]:
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .get_updates_connection_pool_size(2)
        .build()
    )


@contextlib.asynccontextmanager
async def running(
    app: Application[Any, Any, Any, Any, Any, Any],
    sandbox: Sandbox,
    allowed_updates: list[str] | None = None,
) -> AsyncIterator[None]:
    """Initialize, start and poll; wait for the first getUpdates; stop cleanly."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(allowed_updates=allowed_updates, timeout=5)
    await sandbox.wait_until(lambda: any(m == "getUpdates" for m, _ in sandbox.requests))
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
