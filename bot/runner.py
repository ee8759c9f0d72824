"""Running the bot inside an existing event loop: for the demo and the end-to-end tests.

`disputebot run` uses PTB's own `run_polling`, which owns the loop and the signals; this runner
goes through the same builder and the same start-up and shutdown hooks, so what the tests
exercise is what production runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from flows.clock import Clock


@asynccontextmanager
async def running_bot(
    settings: Settings, clock: Clock | None = None
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Start the bot with long polling; stop it cleanly (hooks included) on exit."""
    application = build_application(settings, clock)
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
    except BaseException:
        # A refused setting (ConfigError) ends start-up; close what was opened, as
        # `run_polling` does.
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        await application.shutdown()
        raise
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
        await application.shutdown()
