"""The `Application` builder: one visible place where every flow is registered, in order.

`build_application` wires configuration, the database, the clock and the catalogs into the
application's context; `on_startup`/`on_shutdown` open and close them (they run as PTB's
`post_init`/`post_shutdown`, and tests call them around `start()`).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.clock import Clock, SystemClock
from bot.commands import register_commands
from bot.config import Settings
from bot.errors import on_error
from bot.files import EvidenceFiles
from bot.i18n import Catalogs
from bot.logs import bind_update
from bot.scheduler import start_scheduler
from bot.services import SERVICES_KEY, Services
from bot.update_processor import PerChatUpdateProcessor
from flows import (
    blind_bidding,
    cases,
    chat_migration,
    claim_form,
    dispute_chat,
    escalation,
    group_evidence,
    inputs,
    proposal_builder,
    proposals,
    settlement,
    start,
    supplier_answer,
    supplier_join,
    timezone,
)
from storage import Database

log = logging.getLogger(__name__)

SCHEDULER_KEY = "scheduler"


async def _stamp_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    bind_update(update.update_id if isinstance(update, Update) else None)


# Handler groups run in order; within a group the first matching handler wins.
STAMP, RECORD, PENDING_INPUT, FLOWS = -2, -1, 0, 1


def register_flows(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every flow, in the order their handlers are tried."""
    application.add_handler(TypeHandler(object, _stamp_update), group=STAMP)
    # A group's move to a supergroup is followed before anything in it is recorded.
    application.add_handlers([*chat_migration.handlers(), *dispute_chat.recorder()], group=RECORD)
    application.add_handlers(inputs.handlers(), group=PENDING_INPUT)
    for flow in (
        start,
        dispute_chat,
        group_evidence,
        supplier_join,
        supplier_answer,
        proposal_builder,
        proposals,
        settlement,
        escalation,
        blind_bidding,
        cases,
        timezone,
        claim_form,
    ):
        application.add_handlers(flow.handlers(), group=FLOWS)
    application.add_handlers(start.fallback_handlers(), group=FLOWS)
    application.add_error_handler(on_error)


def build_application(
    settings: Settings, clock: Clock | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    token = settings.require_token()
    clock = clock or SystemClock()

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await on_startup(application, settings, clock)

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_file_base_url)
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.rate_limit_per_second,
                group_max_rate=settings.rate_limit_group_per_minute,
                max_retries=5,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor())
        .get_updates_connection_pool_size(2)
        .post_init(post_init)
        .post_shutdown(on_shutdown)
        .build()
    )
    register_flows(application)
    return application


async def on_startup(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings, clock: Clock
) -> None:
    """Open the database (migrating it), load the catalogs, register the command menus."""
    catalogs = Catalogs()
    lifecycle = settings.lifecycle_policy()
    db = await Database.connect(settings.database_url, lifecycle_policy=lifecycle)
    services = Services(
        settings=settings,
        db=db,
        clock=clock,
        catalogs=catalogs,
        policy=settings.deadline_policy(),
        files=EvidenceFiles(settings.evidence_dir),
        lifecycle=lifecycle,
    )
    application.bot_data[SERVICES_KEY] = services
    await register_commands(application.bot, catalogs)
    if settings.sweep_interval_seconds > 0:
        application.bot_data[SCHEDULER_KEY] = start_scheduler(
            services, application.bot, settings.sweep_interval_seconds
        )
    log.info("bot @%s started", application.bot.username)


async def on_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    scheduler = application.bot_data.pop(SCHEDULER_KEY, None)
    if scheduler is not None:
        scheduler.shutdown(wait=False)
    services = application.bot_data.pop(SERVICES_KEY, None)
    if isinstance(services, Services):
        await services.db.dispose()
