"""Stopping the timer lets a running sweep finish before the database closes (bot/scheduler.py).

Without it a sweep that was mid-step at shutdown was cut off by the closing connection pool or
cancelled by the event loop's end, which logged a traceback and left the step to the next start.
"""

from __future__ import annotations

import asyncio

from bot.scheduler import Timer


async def test_stop_waits_for_a_running_tick_to_finish() -> None:
    timer = Timer()
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def step() -> None:
        started.set()
        await release.wait()
        finished.append("committed")

    tick = asyncio.create_task(timer.tick(step))
    await asyncio.wait_for(started.wait(), 5)
    timer.scheduler.start()
    stopping = asyncio.create_task(timer.stop(grace=5))
    await asyncio.sleep(0)  # stop() is now waiting on the running tick
    assert not stopping.done() and finished == []
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == ["committed"] and tick.done() and not timer.running


async def test_stop_cancels_a_tick_that_outlasts_the_grace() -> None:
    timer = Timer()
    started = asyncio.Event()
    cancelled: list[bool] = []

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    tick = asyncio.create_task(timer.tick(stuck))
    await asyncio.wait_for(started.wait(), 5)
    timer.scheduler.start()
    await asyncio.wait_for(timer.stop(grace=0.05), 5)
    assert cancelled == [True] and tick.cancelled() and not timer.running


async def test_stop_without_a_running_tick_returns_at_once() -> None:
    timer = Timer()
    timer.scheduler.start()
    await asyncio.wait_for(timer.stop(grace=5), 1)
    assert not timer.scheduler.running


async def test_a_tick_the_scheduler_runs_is_not_cancelled_by_stopping() -> None:
    """APScheduler's asyncio executor cancels running jobs when it shuts down: stop() must wait
    for the tick before it shuts the scheduler down."""
    timer = Timer()
    started, release = asyncio.Event(), asyncio.Event()
    outcome: list[str] = []

    async def step() -> None:
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        outcome.append("committed")

    timer.scheduler.add_job(timer.tick, "date", args=(step,))  # now, by the scheduler
    timer.scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(timer.stop(grace=5))
    await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert outcome == ["committed"] and not timer.scheduler.running
