"""Benchmark: one deadline sweep over many pending deadlines, on SQLite and PostgreSQL (prints
figures; not a test).

    python -m tests.bench.sweep [--deadlines 100000] [--runs 5]

The database holds `--deadlines` open cases, each with its pending deadline (due in three days,
its reminder in twelve hours: none due now, which is what a sweep meets almost every time), and
one sweep (`flows/sweep.py`: the reminders due, the deadlines due, the mediators' posts owed,
the outbox) is timed `--runs` times after a first one. PostgreSQL is the tests' server
($DISPUTEBOT_TEST_POSTGRES_URL), in a database made for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from telegram import Bot

from bot.config import load_settings
from bot.startup import evidence_files
from flows.clock import SystemClock
from flows.services import Services
from flows.sweep import sweep
from locales.i18n import Catalogs
from storage import Database
from tests.bench.seed import seed
from tests.storage.dbs import fresh_postgres_url, postgres_unavailable_reason


async def timed_sweeps(url: str, workdir: Path, deadlines: int, runs: int) -> list[float]:
    settings = load_settings(
        telegram_bot_token="123456:BENCH",
        database_url=url,
        evidence_dir=workdir / "evidence",
    )
    clock = SystemClock()
    lifecycle = settings.lifecycle_policy()
    db = await Database.connect(url, lifecycle_policy=lifecycle)
    try:
        started = time.perf_counter()
        await seed(db, deadlines, clock.now(), buttons=False)
        async with db.engine.begin() as conn:  # as autovacuum would after such a load
            await conn.exec_driver_sql("ANALYZE")
        print(f"  {deadlines:,} open cases written in {time.perf_counter() - started:.1f} s")
        slowest = statement_timer(db)
        services = Services(
            settings=settings,
            db=db,
            clock=clock,
            catalogs=Catalogs(),
            policy=settings.deadline_policy(),
            files=await evidence_files(settings, db, clock),
            lifecycle=lifecycle,
        )
        bot = Bot("123456:BENCH")  # nothing is due: the sweep sends nothing
        times = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            report = await sweep(services, bot)
            times.append(time.perf_counter() - started)
            assert not report.fired and not report.reminders
        for took, statement in sorted(slowest, reverse=True)[:4]:
            print(f"    {1000 * took:6.1f} ms  {statement}")
        return times[1:]
    finally:
        await db.dispose()


def statement_timer(db: Database) -> list[tuple[float, str]]:
    """(seconds, statement) of every statement from now on."""
    seen: list[tuple[float, str]] = []
    engine = db.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        took = time.perf_counter() - conn.info.pop("started", time.perf_counter())
        seen.append((took, " ".join(statement.split())[:150]))

    return seen


def show(name: str, times: list[float]) -> None:
    print(
        f"  {name}: median {1000 * statistics.median(times):.1f} ms, "
        f"max {1000 * max(times):.1f} ms over {len(times)} sweeps (first one left out)"
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"one sweep over {args.deadlines:,} pending deadlines, none due:")
        show(
            "SQLite",
            await timed_sweeps(f"sqlite:///{tmp}/sweep.db", Path(tmp), args.deadlines, args.runs),
        )
        reason = await postgres_unavailable_reason()
        if reason is not None:
            print(f"  PostgreSQL: not measured: {reason}")
            return
        async with fresh_postgres_url() as url:
            show("PostgreSQL", await timed_sweeps(url, Path(tmp), args.deadlines, args.runs))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
