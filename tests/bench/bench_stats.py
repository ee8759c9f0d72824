"""Benchmark: `disputebot stats` on 10,000 generated cases, SQLite and PostgreSQL; prints figures,
asserts nothing.

    python -m tests.bench.bench_stats --cases 10000 [--runs 5] [--no-postgres]

Each database gets the same generated cases (every state, category and way of ending, refunds,
supplier deadlines met and missed, ratings; about 6 rows per case besides the case), then the
figures are read `--runs` times; the best and the median wall time are printed, with the time of
the similar-cases query. PostgreSQL is a fresh database on the test server (PG_ADMIN_URL, as the
storage tests), dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from storage import Database
from tests.storage.dbs import (
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
    postgres_unavailable_reason,
    postgres_url_for,
)
from tests.storage.stats_data import CaseSpec, insert

CATEGORIES = ("not_received", "late_delivery", "quality_defect", "not_as_described", "other")
ENDINGS = (
    ("agreement", "fulfilled"),
    ("blind_bid", "fulfilled"),
    ("mediator", "fulfilled"),
    ("mediation_settle", "fulfilled"),
    ("decide", "unfulfilled"),
    (None, "withdrawn"),
    (None, "dismissed"),
    (None, "expired"),
)


def generated(count: int, seed: int = 10) -> list[CaseSpec]:
    rng = random.Random(seed)
    specs = []
    for _ in range(count):
        amount = Decimal(rng.choice((40, 150, 420, 1800, 7500, 25000)))
        open_state = rng.random() < 0.2
        ended_by, reason = rng.choice(ENDINGS)
        state = (
            rng.choice(("awaiting_supplier", "negotiation", "mediation"))
            if open_state
            else ("closed")
        )
        refund = amount * Decimal(rng.choice((0, 25, 50, 100))) / 100 if ended_by else None
        specs.append(
            CaseSpec(
                category=rng.choice(CATEGORIES),
                state=state,
                closed_reason=None if open_state else reason,
                ended_by=None if open_state else ended_by,
                amount=amount,
                currency=rng.choice(("USD", "EUR", "CNY")),
                refund=refund or None,
                days_to_close=rng.uniform(0.5, 60),
                supplier_response=rng.choice(("met", "met", "met", "fired")),
                missed=("negotiation",) if rng.random() < 0.1 else (),
                ratings={"buyer": (rng.randint(1, 5), None)} if rng.random() < 0.3 else {},
            )
        )
    return specs


async def bench(name: str, url: str, specs: list[CaseSpec], runs: int) -> None:
    db = await Database.connect(url)
    try:
        started = time.perf_counter()
        await insert(db, specs, datetime(2026, 1, 5, tzinfo=UTC))
        filled = time.perf_counter() - started
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            figures = await db.stats.figures()
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        similar = await db.stats.similar("quality_defect", "USD", Decimal(420))
        similar_time = time.perf_counter() - started
    finally:
        await db.dispose()
    print(
        f"{name:<11} {len(specs)} cases (written in {filled:.1f} s): stats best "
        f"{min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms over "
        f"{runs} runs; similar cases ({similar.cases} found) {similar_time * 1000:.0f} ms; "
        f"filed {figures.filed}, ended {figures.ended}"
    )


async def main(count: int, runs: int, postgres: bool) -> None:
    specs = generated(count)
    with tempfile.TemporaryDirectory() as directory:
        await bench("SQLite", f"sqlite:///{Path(directory) / 'bench.db'}", specs, runs)
    if not postgres:
        return
    admin = postgres_admin_url()
    reason = await postgres_unavailable_reason(admin)
    if reason is not None:
        print(f"PostgreSQL  skipped: {reason}")
        return
    name = await create_postgres_database(admin)
    try:
        await bench("PostgreSQL", postgres_url_for(name, admin), specs, runs)
    finally:
        await drop_postgres_database(name, admin)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.runs, not args.no_postgres))
