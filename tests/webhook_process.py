"""A real `python -m bot run --webhook` process (or plain `run`, polling) against the in-test
Bot API sandbox, which posts updates to it. Used by tests/e2e/test_webhook*.py."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.sandbox import Sandbox, SandboxServer
from tests.e2e.conftest import TOKEN

SECRET = "webhook-SECRET_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebhookProcess:
    """`disputebot run --webhook` on one database, started (and stopped) as often as needed."""

    def __init__(self, sandbox: Sandbox, server: SandboxServer, database: str, tmp: Path) -> None:
        self.sandbox, self.server, self.database, self.tmp = sandbox, server, database, tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.hook = f"{self.base}/telegram/updates"
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0

    def env(self, **settings: str) -> dict[str, str]:
        return {
            **os.environ,
            "TELEGRAM_API_URL": self.server.url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": self.database,
            "EVIDENCE_DIR": str(self.tmp / "evidence"),
            "SWEEP_INTERVAL_SECONDS": "0",
            "RATE_LIMIT_GROUP_PER_MINUTE": "600",
            "RATE_LIMIT_PRIVATE_PER_SECOND": "100",
            "WEBHOOK_URL": self.hook,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(self.port),
            "WEBHOOK_SECRET_TOKEN": SECRET,
            **settings,
        }

    async def start(self, *, webhook: bool = True, crash_at: str = "") -> None:
        """Start the bot; it has started once it set the webhook (or polls)."""
        self.runs += 1
        calls = self._calls("setWebhook" if webhook else "getUpdates")
        log = (self.tmp / f"run{self.runs}.log").open("wb")
        args = ["run", "--webhook"] if webhook else ["run"]
        env = self.env(DISPUTEBOT_CRASH_AT=crash_at)
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=env, cwd=self.tmp, stdout=log, stderr=log
        )
        log.close()

        def started() -> bool:
            if self.process is None or self.process.returncode is not None:
                return True
            return self._calls("setWebhook" if webhook else "getUpdates") > calls

        await self.sandbox.wait_until(started, timeout=60)
        assert self.process.returncode is None, self.log()[-3000:]

    def _calls(self, method: str) -> int:
        return sum(1 for called, _ in self.sandbox.requests if called == method)

    async def killed(self) -> None:
        """Wait until the crash point killed the process (SIGKILL, nothing cleaned up)."""
        assert self.process is not None
        async with asyncio.timeout(60):
            code = await self.process.wait()
        assert code == -signal.SIGKILL, self.log()[-3000:]
        self.process = None

    def log(self) -> str:
        return (self.tmp / f"run{self.runs}.log").read_text(errors="replace")

    async def stop(self) -> int | None:
        """SIGTERM, and the exit status (None if it was not running)."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            return await process.wait()

    async def post(self, update: dict[str, Any], secret: str | None) -> int:
        """POST an update to the bot's webhook as anyone could; the HTTP status."""
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.hook, json=update, headers=headers) as response,
        ):
            return response.status

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, session.get(self.base + path) as response:
            return response.status, await response.text()

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of `GET /metrics`: (name, sorted labels) -> value."""
        status, body = await self.get("/metrics")
        assert status == 200, body
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body)
            for sample in family.samples
        }
