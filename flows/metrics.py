"""Prometheus metrics (prometheus-client): what `GET /metrics` of `run --webhook` exposes.

Counted as they happen, in this process: updates handled by type and how long each took
(`measured`, around every update in `bot/update_processor.py`, so polling counts them too),
updates skipped as re-delivered (`flows/ledger.py`), errors that reached the error handler
(`count_error`) and webhook requests refused for their secret token (`bot/webhook.py`).
Read from the database at each scrape (`refresh_from_database`), so every worker reports the
same figures: deadlines pending and overdue, outbox messages not delivered yet and given up.
docs/OPERATIONS.md says what each one means for an operator.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram
from prometheus_client import generate_latest as _generate_latest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import ContextTypes

from flows.services import Services
from storage.tables import deadlines, outbox

__all__ = [
    "CONTENT_TYPE_LATEST",
    "count_error",
    "exposition",
    "measured",
    "refresh_from_database",
    "update_kind",
]

log = logging.getLogger(__name__)

UPDATES = Counter("disputebot_updates", "Updates handled, by update type", ["type"])
LATENCY = Histogram(
    "disputebot_update_handling_seconds",
    "Time from the start of an update's handling to its end (its chat's earlier updates done)",
    ["type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS = Counter(
    "disputebot_update_errors", "Updates whose handling failed (the error handler ran)", ["type"]
)
REDELIVERED = Counter(
    "disputebot_updates_redelivered",
    "Updates delivered again after they were handled, skipped by the update ledger",
)
WEBHOOK_REFUSED = Counter(
    "disputebot_webhook_refused",
    "Webhook requests refused with 403: secret token missing or wrong",
    ["reason"],
)
DEADLINES_PENDING = Gauge("disputebot_deadlines_pending", "Deadlines not met, cancelled or fired")
DEADLINES_OVERDUE = Gauge(
    "disputebot_deadlines_overdue", "Pending deadlines whose due time has passed (not swept yet)"
)
OUTBOX_UNDELIVERED = Gauge(
    "disputebot_outbox_undelivered", "Outbox messages committed but not delivered yet"
)
OUTBOX_FAILED = Gauge(
    "disputebot_outbox_failed", "Outbox messages given up after the bounded number of attempts"
)
DATABASE_UP = Gauge(
    "disputebot_database_up", "1 when the last scrape could read the database, else 0"
)


# Series exist (at 0) before the first event, so a dashboard or an alert sees them at once.
for _kind in ("message", "edited_message", "callback_query", "my_chat_member", "chat_member"):
    UPDATES.labels(_kind)
    LATENCY.labels(_kind)
    ERRORS.labels(_kind)
for _reason in ("missing", "wrong"):
    WEBHOOK_REFUSED.labels(_reason)


def update_kind(update: object) -> str:
    """The update's type as the Bot API names it (`message`, `callback_query`, ...)."""
    if not isinstance(update, Update):
        return "other"
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


async def measured(update: object, coroutine: Awaitable[Any]) -> None:
    """Run an update's handling, counting it and timing it."""
    kind = update_kind(update)
    start = time.perf_counter()
    try:
        await coroutine
    finally:
        UPDATES.labels(kind).inc()
        LATENCY.labels(kind).observe(time.perf_counter() - start)


async def count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An error handler after `bot.errors.on_error`: count the failure."""
    ERRORS.labels(update_kind(update)).inc()


async def refresh_from_database(services: Services) -> None:
    """Set the gauges read from the database; `disputebot_database_up` 0 when it cannot."""
    now = services.clock.now()
    pending = deadlines.c.status == "pending"
    try:
        async with services.db.engine.connect() as conn:
            count_deadlines = select(func.count()).select_from(deadlines).where(pending)
            count_outbox = select(func.count()).select_from(outbox)
            total = await conn.scalar(count_deadlines)
            overdue = await conn.scalar(count_deadlines.where(deadlines.c.due_at <= now))
            undelivered = await conn.scalar(
                count_outbox.where(outbox.c.status.in_(("pending", "sending")))
            )
            failed = await conn.scalar(count_outbox.where(outbox.c.status == "failed"))
    except Exception:
        log.warning("metrics: the database could not be read", exc_info=True)
        DATABASE_UP.set(0)
        return
    DEADLINES_PENDING.set(total or 0)
    DEADLINES_OVERDUE.set(overdue or 0)
    OUTBOX_UNDELIVERED.set(undelivered or 0)
    OUTBOX_FAILED.set(failed or 0)
    DATABASE_UP.set(1)


def exposition() -> bytes:
    """Every metric of this process in Prometheus' text format."""
    return _generate_latest(REGISTRY)
