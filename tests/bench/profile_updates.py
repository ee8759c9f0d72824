"""Where one update's time goes: SQL statements and transactions per update, and a cProfile of
the bot (in this process, on an in-process sandbox). Prints figures; not a test.

    python -m tests.bench.profile_updates [--updates 50] [--profile] [--sql]

Each kind of update (/start of a new user, /help, a claim-form answer, Accept on a proposal) is
played `--updates` times one after the other, after the same work as `tests/bench/updates.py`
sets up; statements are counted with SQLAlchemy's engine events, transactions as BEGINs.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.config import load_settings
from bot.runner import running_bot
from bot.sandbox import Sandbox, SandboxServer
from flows.clock import SystemClock
from flows.services import SERVICES_KEY, Services
from locales.i18n import Catalogs
from tests.bench.harness import Side
from tests.bench.updates import TOKEN, Scenarios


class Counter:
    """SQL statements and transactions (BEGIN) seen on the engine."""

    def __init__(self) -> None:
        self.statements = 0
        self.begins = 0
        self.texts: collections.Counter[str] = collections.Counter()

    def attach(self, engine: Any) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            self.statements += 1
            self.texts[" ".join(statement.split())[:400]] += 1

        @event.listens_for(engine, "begin")
        def began(conn: Any) -> None:
            self.begins += 1


class InProcess(Side):
    """A `Side` whose bot runs in this process (for counting and profiling)."""

    async def start(self) -> None:
        await self.server.start()


async def main(args: argparse.Namespace) -> None:
    catalogs = Catalogs()
    with tempfile.TemporaryDirectory() as tmp:
        side = InProcess("bot", TOKEN, [], {}, Path(tmp))
        sandbox: Sandbox = side.sandbox
        async with SandboxServer(sandbox) as server:
            side.server = server
            settings = load_settings(
                telegram_bot_token=TOKEN,
                telegram_api_url=server.url,
                database_url=args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}",
                evidence_dir=Path(tmp) / "evidence",
                sweep_interval_seconds=0,
                rate_limit_per_second=100_000,
                rate_limit_private_per_second=100_000,
                log_level="INFO",
            )
            async with running_bot(settings, SystemClock()) as application:
                services = application.bot_data[SERVICES_KEY]
                assert isinstance(services, Services)
                counter = Counter()
                counter.attach(services.db.engine.sync_engine)
                plays = Scenarios(side, catalogs, True)
                kinds: list[tuple[str, Callable[[], Awaitable[list[list[Any]]]]]] = [
                    ("/start", lambda: plays.start(args.updates)),
                    ("/help", lambda: plays.help(args.updates)),
                    ("claim answer", lambda: plays.claim_answers(max(1, args.updates // 4))),
                    ("proposal press", lambda: plays.proposal_presses(2, args.updates // 2)),
                ]
                profiler = cProfile.Profile()
                for name, prepare in kinds:
                    actors = await prepare()
                    actions = [a for actor in actors for a in actor]
                    counter.statements = counter.begins = 0
                    counter.texts.clear()
                    requests = len(sandbox.requests)
                    if args.profile:
                        profiler.enable()
                    for action in actions:  # one after the other: nothing overlaps
                        await action()
                        await side.settle(quiet=0.05)
                    if args.profile:
                        profiler.disable()
                    n = len(actions)
                    print(
                        f"{name}: {counter.statements / n:.1f} statements, "
                        f"{counter.begins / n:.1f} transactions per update ({n} updates)"
                    )
                    calls = collections.Counter(m for m, _ in sandbox.requests[requests:])
                    calls.pop("getUpdates", None)
                    print(
                        "    Bot API calls per update: "
                        + ", ".join(f"{m} {c / n:.1f}" for m, c in calls.most_common())
                    )
                    if args.sql:
                        for text, count in counter.texts.most_common(args.top):
                            print(f"    {count / n:5.1f}  {text[: args.width]}")
                if args.profile:
                    stats = pstats.Stats(profiler)
                    stats.sort_stats("cumulative").print_stats(45)
                    stats.sort_stats("tottime").print_stats(25)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--sql", action="store_true", help="print the most frequent statements")
    parser.add_argument("--top", type=int, default=12, help="how many statements --sql prints")
    parser.add_argument("--width", type=int, default=110, help="characters of each statement")
    parser.add_argument("--database-url", help="the bot's database (default: SQLite in a temp dir)")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
