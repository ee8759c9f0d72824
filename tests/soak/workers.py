"""Several webhook workers on one database behind a small round-robin proxy: the soak's
"three workers, one SIGKILLed at random points" form (issue 11's acceptance).

The sandbox posts every update to the proxy (the URL every worker gives `setWebhook`), and the
proxy forwards each request to the next worker that is up, as nginx with several upstreams and
`proxy_next_upstream` does: a worker that refuses the connection or dies before answering is
skipped and the request goes to the next one; with none left, 502, and the sandbox retries the
update later, as Telegram would. Every worker sweeps every second, so they sweep at once.
"""

from __future__ import annotations

import asyncio
import random
import signal
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.sandbox import Sandbox, SandboxServer
from tests.webhook_process import SECRET, WebhookProcess, free_port

PATH = "/telegram/updates"


class Worker(WebhookProcess):
    """One webhook worker: listens on its own port, sets the proxy's URL as the webhook."""

    def __init__(
        self, sandbox: Sandbox, server: SandboxServer, url: str, tmp: Path, proxy: str, shared: Path
    ) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        super().__init__(sandbox, server, url, tmp)
        self.proxy, self.shared = proxy, shared

    def env(self, **settings: str) -> dict[str, str]:
        return super().env(
            WEBHOOK_URL=self.proxy,
            EVIDENCE_DIR=str(self.shared / "evidence"),
            SWEEP_INTERVAL_SECONDS="1",
            **settings,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        """SIGKILL now, wherever it is (nothing cleaned up)."""
        process, self.process = self.process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGKILL)
            async with asyncio.timeout(30):
                await process.wait()


class WorkerPool:
    """`count` workers and the proxy in front (BotProcess's interface, for the soak's killer):
    `kill` SIGKILLs one at random and starts it again in the background."""

    def __init__(
        self,
        sandbox: Sandbox,
        server: SandboxServer,
        url: str,
        tmp: Path,
        count: int,
        rng: random.Random,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        self.rng = rng
        self.workers = [
            Worker(sandbox, server, url, tmp / f"worker{n}", self.url, tmp) for n in range(count)
        ]
        self._next = 0
        self.forwarded = [0] * count
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._restarts: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """The proxy and every worker, the first time; later (the killer's restart) nothing:
        a killed worker is started again in the background, while the others serve."""
        if self._runner is not None:
            return
        if self._runner is None:
            app = web.Application()
            app.router.add_post(PATH, self._forward)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        for worker in self.workers:
            if not worker.running:
                await worker.start()

    async def kill(self) -> None:
        """SIGKILL one running worker at random (one stays up at least) and start it again."""
        while len(running := [w for w in self.workers if w.running]) < 2:
            await asyncio.wait(self._restarts)
            self._restarts = [t for t in self._restarts if not t.done()]
            for task in self._restarts:
                task.result()  # a worker that could not start again fails the run
        worker = self.rng.choice(running)
        await worker.kill()
        self._restarts.append(asyncio.create_task(worker.start()))

    async def stop(self) -> None:
        restarts, self._restarts = self._restarts, []
        await asyncio.gather(*restarts, return_exceptions=True)
        for worker in self.workers:
            await worker.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def logs(self) -> str:
        return "\n".join(w.log()[-2000:] for w in self.workers if w.runs)

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {"Content-Type": "application/json"}
        if "X-Telegram-Bot-Api-Secret-Token" in request.headers:
            headers["X-Telegram-Bot-Api-Secret-Token"] = request.headers[
                "X-Telegram-Bot-Api-Secret-Token"
            ]
        assert self._session is not None
        for _ in range(len(self.workers)):
            n, self._next = self._next, (self._next + 1) % len(self.workers)
            worker = self.workers[n]
            if not worker.running:
                continue
            try:
                async with self._session.post(worker.hook, data=body, headers=headers) as answer:
                    self.forwarded[n] += 1
                    return web.Response(status=answer.status)
            except (TimeoutError, aiohttp.ClientError):
                continue  # it died before answering: the next one
        return web.Response(status=502)


__all__ = ["SECRET", "WorkerPool"]
