"""The soak run (`tests/soak/`) as a test: buyers and suppliers play whole disputes while the
real bot process is SIGKILLed at random moments and started again; every case must finish,
with nothing recorded, queued or delivered twice.

By default a short form on SQLite (3 cases, 4 kills, a fixed seed) runs with the suite. With
`DISPUTEBOT_SOAK=full` it is the acceptance run, 20 buyers and 20 suppliers with 30 kills, on
SQLite and PostgreSQL (`DISPUTEBOT_SOAK_SEED` picks the seed).

With several workers (`tests/soak/workers.py`): three webhook workers on PostgreSQL behind a
round-robin proxy, one of them SIGKILLed at random points and started again while the others
serve; three kills in the suite, ten with `DISPUTEBOT_SOAK=full` (issue 11's acceptance).
Besides no event twice and no message shown more often than queued, every fired deadline has
exactly one outcome on its case's record.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.soak.run import Config, soak
from tests.storage.dbs import (
    fresh_postgres_url,
    sqlite_url,
    usable_postgres_admin,
)

FULL = os.environ.get("DISPUTEBOT_SOAK", "") == "full"
SEED = int(os.environ.get("DISPUTEBOT_SOAK_SEED", "7"))
CONFIG = Config(buyers=20, kills=30, seed=SEED) if FULL else Config(buyers=3, kills=4, seed=SEED)
POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgres)
DATABASES = ["sqlite", POSTGRES] if FULL else ["sqlite"]


@pytest.mark.parametrize("database", DATABASES)
async def test_random_kills_leave_every_case_finished_and_nothing_twice(
    database: str, tmp_path: Path
) -> None:
    if database == "sqlite":
        summary = await soak(CONFIG, sqlite_url(tmp_path), tmp_path)
    else:
        admin = await usable_postgres_admin()
        async with fresh_postgres_url(admin) as url:
            summary = await soak(CONFIG, url, tmp_path)
    print("\n".join(summary.lines()))
    assert summary.problems == []
    assert summary.closed == summary.cases == CONFIG.buyers
    assert summary.kills == summary.restarts
    assert summary.kills > 0  # the short form still kills the bot mid-play


# Issue 11's acceptance: three webhook workers on PostgreSQL behind one endpoint serve two whole
# disputes while one of them is SIGKILLed at random points, ten times (DISPUTEBOT_SOAK=full);
# the suite's short form kills three times.
WORKERS = Config(buyers=2, kills=10 if FULL else 3, seed=SEED, workers=3, min_gap=1, max_gap=6)


@pytest.mark.postgres
async def test_three_webhook_workers_one_killed_at_random_nothing_twice(tmp_path: Path) -> None:
    admin = await usable_postgres_admin()
    async with fresh_postgres_url(admin) as url:
        summary = await soak(WORKERS, url, tmp_path)
    print("\n".join(summary.lines()))
    assert summary.problems == []
    assert summary.closed == summary.cases == WORKERS.buyers
    assert summary.kills == summary.restarts
    assert summary.kills == WORKERS.kills  # every kill fell while the disputes were played
