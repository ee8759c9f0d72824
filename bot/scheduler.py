"""The timer: APScheduler wakes the deadline sweep (`flows/sweep.py`) at a fixed interval, and
prunes the update ledger hourly. Nothing is decided here: the deadlines are database rows, and
what happens when one is due is the sweep's.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from flows import ledger
from flows.services import Services
from flows.sweep import sweep

LEDGER_PRUNE_SECONDS = 3600  # the update ledger's rows expire in days; hourly is plenty


def start_scheduler(services: Services, bot: Bot, interval_seconds: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        sweep,
        "interval",
        seconds=interval_seconds,
        args=(services, bot),
        max_instances=1,
        coalesce=True,
        id="deadline-sweep",
    )
    scheduler.add_job(
        ledger.prune,
        "interval",
        seconds=LEDGER_PRUNE_SECONDS,
        args=(services,),
        max_instances=1,
        coalesce=True,
        id="update-ledger-prune",
    )
    scheduler.start()
    return scheduler
