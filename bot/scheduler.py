"""The timer: APScheduler wakes the deadline sweep (`flows/sweep.py`) at a fixed interval, and
prunes the update ledger hourly. Nothing is decided here: the deadlines are database rows, and
what happens when one is due is the sweep's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from bot.buttons_off import take_off
from flows import ledger
from flows.services import Services
from flows.sweep import sweep

log = logging.getLogger(__name__)

LEDGER_PRUNE_SECONDS = 3600  # the update ledger's rows expire in days; hourly is plenty
STOP_GRACE_SECONDS = 20.0  # how long stopping waits for a running sweep to finish its step


async def sweep_and_tidy(services: Services, bot: Bot) -> None:
    """One tick: the deadline sweep, then the buttons its outcomes made stale come off."""
    await sweep(services, bot)
    try:
        await take_off(services, bot)
    except Exception:  # the next pass tries again; the record is in the database
        log.exception("taking stale buttons off failed")


class Timer:
    """The scheduler and the ticks it is running, so that stopping lets a running sweep finish
    (its transaction commits or rolls back whole) before the database is closed, instead of the
    sweep being cut off by the closing pool or cancelled at the loop's end."""

    def __init__(self) -> None:
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.running: set[asyncio.Task[Any]] = set()

    async def tick(self, job: Callable[..., Awaitable[None]], *args: Any) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.running.add(task)
        try:
            await job(*args)
        finally:
            if task is not None:
                self.running.discard(task)

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """No new ticks; a running one finishes (or, after `grace`, is cancelled and awaited).

        The scheduler is paused first and shut down only after the wait: APScheduler's asyncio
        executor cancels the jobs still running when it shuts down."""
        if self.scheduler.running:
            self.scheduler.pause()
        running = set(self.running)
        if running:
            log.info("waiting for %d running timer job(s) to finish", len(running))
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                log.warning("a timer job still ran after %.0f s; cancelled", grace)
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)


def start_scheduler(services: Services, bot: Bot, interval_seconds: float) -> Timer:
    timer = Timer()
    timer.scheduler.add_job(
        timer.tick,
        "interval",
        seconds=interval_seconds,
        args=(sweep_and_tidy, services, bot),
        max_instances=1,
        coalesce=True,
        id="deadline-sweep",
    )
    timer.scheduler.add_job(
        timer.tick,
        "interval",
        seconds=LEDGER_PRUNE_SECONDS,
        args=(ledger.prune, services),
        max_instances=1,
        coalesce=True,
        id="update-ledger-prune",
    )
    timer.scheduler.start()
    return timer
