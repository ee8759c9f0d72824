"""Benchmark: the bot's resident memory with many open cases (prints figures; not a test).

    python -m tests.bench.memory [--cases 10000] [--updates 300]

A SQLite database gets `--cases` open cases (`tests/bench/seed.py`: each with its claim, a
pending deadline and a recorded message with a button), then `python -m bot run` starts on it
against the sandbox (its start-up pass reads every recorded message), answers `--updates`
/help and /cases of as many users, and its resident memory (VmRSS) and peak (VmHWM) are read
from /proc, next to the bare python-telegram-bot bot's after the same updates.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from flows.clock import SystemClock
from storage import Database
from tests.bench.harness import Side
from tests.bench.seed import BUYERS, seed
from tests.bench.updates import say, sides


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def current_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def play(side: Side, updates: int) -> None:
    """`updates` users (for the bot: the first seeded buyers) each send /help, then /cases."""
    users = [side.sandbox.user(f"Buyer {n}", language_code="en") for n in range(updates)]
    assert users[0].id == BUYERS + 1  # the sandbox numbers its users as the seed did
    for text in ("/help", "/cases"):
        await asyncio.gather(*(say(u, text, 1)() for u in users))
    await side.settle()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bare, bot = sides(workdir, None)
        db = await Database.connect(f"sqlite:///{workdir / 'bench.db'}")
        started = time.perf_counter()
        await seed(db, args.cases, SystemClock().now())
        await db.dispose()
        print(f"{args.cases:,} open cases written in {time.perf_counter() - started:.1f} s")
        for side in (bare, bot):
            started = time.perf_counter()
            await side.start()
            print(f"{side.name}: polling {time.perf_counter() - started:.1f} s after its start")
            try:
                await play(side, args.updates)
                print(
                    f"{side.name}: resident {current_mb(side.pid):.0f} MB, "
                    f"peak {peak_mb(side.pid):.0f} MB"
                )
            finally:
                await side.stop()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--updates", type=int, default=300)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
