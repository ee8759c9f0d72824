"""The timer: APScheduler wakes the deadline sweep (`flows/sweep.py`) at a fixed interval, and
prunes the update ledger hourly. Nothing is decided here: the deadlines are database rows, and
what happens when one is due is the sweep's.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from bot.buttons_off import take_off
from flows import ledger
from flows.services import Services
from flows.sweep import sweep

log = logging.getLogger(__name__)

LEDGER_PRUNE_SECONDS = 3600  # the update ledger's rows expire in days; hourly is plenty


async def sweep_and_tidy(services: Services, bot: Bot) -> None:
    """One tick: the deadline sweep, then the buttons its outcomes made stale come off."""
    await sweep(services, bot)
    try:
        await take_off(services, bot)
    except Exception:  # the next pass tries again; the record is in the database
        log.exception("taking stale buttons off failed")


def start_scheduler(services: Services, bot: Bot, interval_seconds: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        sweep_and_tidy,
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
