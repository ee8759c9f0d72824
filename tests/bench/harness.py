"""What the benchmark scripts share: a bot as a process of its own on an in-process sandbox, its
CPU time and resident memory read from /proc, and timed actions of sandbox users.

Each bot runs as a separate process so that its CPU time is its own (the sandbox and the
driving users run in the benchmark's process, and cost both bots the same).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox import Sandbox, SandboxServer, SandboxUser

ROOT = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/<pid>/stat: utime, stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MB (/proc/<pid>/statm)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def quantile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Side:
    """One bot under test: its sandbox and server, its process, how it is started."""

    name: str
    token: str
    command: list[str]
    env: dict[str, str]
    workdir: Path
    sandbox: Sandbox = field(init=False)
    server: SandboxServer = field(init=False)
    process: asyncio.subprocess.Process | None = None

    def __post_init__(self) -> None:
        # The schema check of every result is the sandbox's own work: off, it costs both bots
        # less latency and tells nothing about them.
        self.sandbox = Sandbox(bot_token=self.token, bot_username="BenchBot", check_results=False)
        self.server = SandboxServer(self.sandbox)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def requests(self) -> int:
        """Requests the bot made so far, long polls left out."""
        return sum(1 for method, _ in self.sandbox.requests if method != "getUpdates")

    async def start(self) -> None:
        await self.server.start()
        env = {
            **os.environ,
            "TELEGRAM_API_URL": self.server.url,
            "TELEGRAM_BOT_TOKEN": self.token,
            "PYTHONPATH": str(ROOT),  # `python -m tests.bench...` from the temporary folder
            **self.env,
        }
        log = (self.workdir / f"{self.name}.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, *self.command, env=env, cwd=self.workdir, stdout=log, stderr=log
        )
        log.close()
        async with asyncio.timeout(120):  # started once it polls
            while not any(m == "getUpdates" for m, _ in self.sandbox.requests):
                if self.process.returncode is not None:
                    log_text = (self.workdir / f"{self.name}.log").read_text()
                    raise RuntimeError(f"{self.name} exited:\n{log_text[-3000:]}")
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
        await self.server.stop()

    async def settle(self, quiet: float = 0.3, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Wait until the bot made no request (but long polls) for `quiet` seconds: the work
        an update started after its answer (taking buttons off, say) is done too."""
        end = time.monotonic() + timeout
        seen, since = self.requests(), time.monotonic()
        while time.monotonic() < end:
            await asyncio.sleep(0.05)
            now = self.requests()
            if now != seen:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
        raise TimeoutError(f"{self.name} kept sending for {timeout} s")


def bot_count(user: SandboxUser) -> int:
    return len(user.private_chat.bot_messages()) if user.id in user.sandbox.chats else 0


async def replies(user: SandboxUser, before: int, count: int, timeout: float = 60) -> None:  # noqa: ASYNC109
    """Wait until `count` bot messages more than `before` are in the user's private chat."""
    await user.sandbox.wait_until(lambda: bot_count(user) >= before + count, timeout)


Action = Callable[[], Awaitable[None]]


@dataclass
class Batch:
    """What one run of a batch of actions measured."""

    actions: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def add(self, other: Batch) -> None:
        self.actions += other.actions
        self.wall += other.wall
        self.cpu += other.cpu
        self.latencies += other.latencies

    @property
    def per_second(self) -> float:
        return self.actions / self.wall if self.wall else float("nan")

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.actions if self.actions else float("nan")

    def ms(self, q: float) -> float:
        return 1000 * quantile(self.latencies, q)

    def mean_ms(self) -> float:
        return 1000 * statistics.fmean(self.latencies) if self.latencies else float("nan")


def quiet_driver() -> None:
    """Freeze this process's heap before a measured batch. The sandbox keeps every message of
    the run, so a full collection here paused this process for 0.2 s, and every update in
    flight looked 0.2 s slower, whichever bot was measured (the p99 at 50 updates a second)."""
    gc.collect()
    gc.freeze()


async def closed_loop(side: Side, actors: Sequence[Sequence[Action]]) -> Batch:
    """Every actor does its actions one after the other (the next once the last is answered),
    all actors at once; throughput over the batch, CPU of the bot's process, each latency."""
    batch = Batch(actions=sum(len(a) for a in actors))

    async def play(actions: Sequence[Action]) -> None:
        for action in actions:
            started = time.perf_counter()
            await action()
            batch.latencies.append(time.perf_counter() - started)

    quiet_driver()
    cpu = cpu_seconds(side.pid)
    started = time.perf_counter()
    await asyncio.gather(*(play(a) for a in actors))
    batch.wall = time.perf_counter() - started
    await side.settle()  # the work after the answers counts as CPU, not as wall time
    batch.cpu = cpu_seconds(side.pid) - cpu
    return batch


async def open_loop(side: Side, actions: Sequence[Action], rate: float) -> Batch:
    """The actions started at `rate` per second whatever the bot does (as users would);
    the latency of each from its start to its answer."""
    batch = Batch(actions=len(actions))

    async def timed(action: Action) -> None:
        started = time.perf_counter()
        await action()
        batch.latencies.append(time.perf_counter() - started)

    quiet_driver()
    cpu = cpu_seconds(side.pid)
    started = time.perf_counter()
    tasks = []
    for i, action in enumerate(actions):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(action)))
    await asyncio.gather(*tasks)
    batch.wall = time.perf_counter() - started
    await side.settle()
    batch.cpu = cpu_seconds(side.pid) - cpu
    return batch
