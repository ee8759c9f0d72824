"""Benchmark: whole claims through the sandbox and the real bot; prints figures, asserts nothing.

    python tests/bench/bench_claims.py --buyers 20

Figures: wall time, claims per second, the bot's reply latency per answer (p50/p95/max) and the
process's peak memory. Run it before and after a change that touches the hot path.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bot.config import load_settings
from bot.demo import SCRIPTS, file_claim
from bot.runner import running_bot
from bot.sandbox import Sandbox, SandboxServer, SandboxUser
from flows.clock import SystemClock
from locales.i18n import Catalogs

TOKEN = "123456:BENCH"


async def main(buyers: int, telegram_limits: bool) -> None:
    sandbox = Sandbox(bot_token=TOKEN, bot_username="BenchBot")
    catalogs = Catalogs()
    latencies: list[float] = []
    original_send = SandboxUser.send

    async def timed_send(self: SandboxUser, text: str, *args: object, **kwargs: object) -> object:
        started = time.perf_counter()
        result = await original_send(self, text, *args, **kwargs)  # type: ignore[arg-type]
        count = len(self.bot_texts())
        await self.sandbox.wait_until(lambda: len(self.bot_texts()) > count, timeout=30)
        latencies.append(time.perf_counter() - started)
        return result

    with tempfile.TemporaryDirectory() as workdir:
        async with SandboxServer(sandbox) as server:
            settings = load_settings(
                telegram_bot_token=TOKEN,
                telegram_api_url=server.url,
                database_url=f"sqlite:///{Path(workdir) / 'bench.db'}",
                evidence_dir=Path(workdir) / "evidence",
                sweep_interval_seconds=0,
                # Telegram allows about 30 messages a second overall; by default the bench
                # measures the bot itself, with --telegram-limits it measures under them.
                rate_limit_per_second=30 if telegram_limits else 100_000,
                rate_limit_private_per_second=1 if telegram_limits else 100_000,
            )
            async with running_bot(settings, SystemClock()):
                await sandbox.wait_until(lambda: "getUpdates" in [m for m, _ in sandbox.requests])
                people = [
                    sandbox.user(f"Buyer {i}", language_code="en" if i % 2 else "zh-hans")
                    for i in range(buyers)
                ]
                SandboxUser.send = timed_send  # type: ignore[method-assign]
                started = time.perf_counter()
                await asyncio.gather(
                    *(
                        file_claim(
                            user,
                            catalogs.translator("en" if i % 2 else "zh_Hans"),
                            SCRIPTS["en" if i % 2 else "zh_Hans"],
                            SystemClock(),
                            timeout=60,
                        )
                        for i, user in enumerate(people)
                    )
                )
                elapsed = time.perf_counter() - started
                SandboxUser.send = original_send  # type: ignore[method-assign]
    latencies.sort()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    limits = "Telegram's 30 msg/s" if telegram_limits else "no rate limit"
    print(f"claims filed:        {buyers} (concurrently, 2 evidence files each; {limits})")
    print(f"wall time:           {elapsed:.2f} s ({buyers / elapsed:.2f} claims/s)")
    print(f"typed answers:       {len(latencies)}")
    print(f"reply latency p50:   {statistics.median(latencies) * 1000:.0f} ms")
    print(f"reply latency p95:   {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms")
    print(f"reply latency max:   {latencies[-1] * 1000:.0f} ms")
    print(f"peak memory (RSS):   {peak_mb:.0f} MB (bot, sandbox and driver in one process)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=10)
    parser.add_argument("--telegram-limits", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.buyers, arguments.telegram_limits))
