"""A real `python -m bot run` process against an in-process Bot API sandbox, started, killed
with SIGKILL and started again on one database. Shared by the crash tests
(`tests/e2e/test_crash.py`) and the soak run (`tests/soak/`)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.sandbox import Sandbox, SandboxServer
from tests.e2e.conftest import TOKEN

DAY = 24 * 3600


class BotProcess:
    """`python -m bot run` against the in-test sandbox, on one database, started many times."""

    def __init__(
        self,
        sandbox: Sandbox,
        server: SandboxServer,
        url: str,
        tmp: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.sandbox, self.server, self.url, self.tmp = sandbox, server, url, tmp
        self.env = env or {}  # more settings, e.g. EVIDENCE_STORE
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0

    async def start(self, *, crash_at: str = "", offset_days: float = 0) -> None:
        polls = self._polls()
        self.runs += 1
        env = {
            **os.environ,
            "TELEGRAM_API_URL": self.server.url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": self.url,
            "EVIDENCE_DIR": str(self.tmp / "evidence"),
            "SWEEP_INTERVAL_SECONDS": "1",
            "RATE_LIMIT_PRIVATE_PER_SECOND": "100",
            "DISPUTEBOT_CRASH_AT": crash_at,
            "DISPUTEBOT_CLOCK_OFFSET_SECONDS": str(offset_days * DAY),
            **self.env,
        }
        log = (self.tmp / f"run{self.runs}.log").open("wb")  # a pipe could fill up and block
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=self.tmp, stdout=log, stderr=log
        )
        log.close()
        # Started once it polls (or died trying: a crash point may be reached at start-up).
        await self.sandbox.wait_until(
            lambda: (
                self._polls() > polls or self.process is None or self.process.returncode is not None
            ),
            timeout=60,
        )

    def _polls(self) -> int:
        return sum(1 for method, _ in self.sandbox.requests if method == "getUpdates")

    def log(self) -> str:
        return (self.tmp / f"run{self.runs}.log").read_text(errors="replace")

    async def killed(self) -> None:
        """Wait until the crash point killed the process (SIGKILL, nothing cleaned up)."""
        assert self.process is not None
        async with asyncio.timeout(60):
            code = await self.process.wait()
        assert code == -signal.SIGKILL, self.log()[-3000:]

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                await self.process.wait()
        self.process = None

    async def kill(self) -> None:
        """SIGKILL the running process now, wherever it is (nothing cleaned up)."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        async with asyncio.timeout(30):
            await self.process.wait()
        self.process = None
