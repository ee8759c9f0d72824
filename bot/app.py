"""The `Application` builder: one visible place where every flow is registered, in order.

`build_application` wires configuration, the database, the clock and the catalogs into the
application's context; `on_startup`/`on_shutdown` open and close them (they run as PTB's
`post_init`/`post_shutdown`, and tests call them around `start()`).
"""

from __future__ import annotations

import gc
import logging
from functools import partial
from typing import Any

from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.buttons_off import BUTTONS_OFF_KEY, ButtonsOff
from bot.commands import register_commands
from bot.config import Settings
from bot.errors import on_error
from bot.scheduler import Timer, start_scheduler
from bot.startup import check_staff_chat, evidence_files, open_database, where
from bot.telegram_bot import DisputeBot, build_bot
from bot.update_processor import PerChatUpdateProcessor
from flows import (
    blind_bidding,
    case_file_command,
    cases,
    chat_links,
    chat_migration,
    claim_edits,
    claim_form,
    decision_builder,
    dispute_chat,
    escalation,
    evidence_confirm,
    evidence_requests,
    group_evidence,
    group_help,
    inputs,
    mediator_hand_back,
    mediator_pool,
    mediator_proposal,
    obligation_dispute,
    private_evidence,
    proposal_builder,
    proposal_reasons,
    proposals,
    reconsideration,
    settlement,
    start,
    statements_round,
    stats,
    stats_ratings,
    supplier_answer,
    supplier_join,
    supplier_replace,
    timezone,
    unknown_buttons,
)
from flows.clock import Clock, SystemClock
from flows.ledger import stamp_update, then_checkpoint
from flows.metrics import count_error
from flows.no_mediators import no_mediator_texts
from flows.outbox import deliver_pending
from flows.services import SERVICES_KEY, Services
from flows.stale_buttons import case_of, managed, note_recorded
from flows.witness import register as register_witness
from locales.i18n import Catalogs

log = logging.getLogger(__name__)

SCHEDULER_KEY = "scheduler"


# Handler groups run in order; within a group the first matching handler wins.
STAMP, RECORD, PENDING_INPUT, FLOWS = -2, -1, 0, 1


def register_flows(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every flow, in the order their handlers are tried."""
    application.add_handler(TypeHandler(object, stamp_update), group=STAMP)
    # A group's move to a supergroup is followed before anything in it is recorded.
    # What they commit is not what a failing flow saved (the error handler's "it was saved").
    recorders = [*chat_migration.handlers(), *dispute_chat.recorder()]
    application.add_handlers([then_checkpoint(h) for h in recorders], group=RECORD)
    pending_inputs = inputs.router(
        proposal_builder.pending_inputs(),
        proposal_reasons.pending_inputs(),
        supplier_answer.pending_inputs(),
        settlement.pending_inputs(),
        obligation_dispute.pending_inputs(),
        blind_bidding.pending_inputs(),
        group_evidence.pending_inputs(),
        evidence_confirm.pending_inputs(),
        private_evidence.pending_inputs(),
        mediator_hand_back.pending_inputs(),
        evidence_requests.pending_inputs(),
        statements_round.pending_inputs(),
        decision_builder.pending_inputs(),
        reconsideration.pending_inputs(),
        stats_ratings.pending_inputs(),
    )
    application.add_handlers(pending_inputs, group=PENDING_INPUT)
    for flow in (
        start,
        dispute_chat,
        group_evidence,
        evidence_confirm,
        private_evidence,
        supplier_join,
        supplier_replace,
        chat_links,
        supplier_answer,
        proposal_builder,
        proposals,
        mediator_proposal,  # the mediator's proposal: each party's Accept / Reject
        settlement,
        escalation,
        mediator_pool,
        mediator_hand_back,
        evidence_requests,
        statements_round,
        decision_builder,
        reconsideration,
        stats,  # /stats for the mediators in the staff chat
        stats_ratings,  # the parties' ratings after a case closed
        blind_bidding,
        cases,
        case_file_command,  # /casefile: the PDF and the JSON, privately
        group_help,
        timezone,
        claim_form,
        claim_edits,  # an edited answer to the claim form (it asks with the form's helpers)
    ):
        application.add_handlers(flow.handlers(), group=FLOWS)
    application.add_handlers(start.fallback_handlers(), group=FLOWS)
    application.add_handlers(unknown_buttons.handlers(), group=FLOWS)  # after every flow
    application.add_error_handler(on_error)
    application.add_error_handler(count_error)  # for /metrics


def build_application(
    settings: Settings, clock: Clock | None = None, *, freeze_heap: bool = False
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot's application. `freeze_heap`: once started, the process's objects so far are
    left out of the garbage collector's full passes (`freeze_startup_heap`); for the process
    that runs the bot (`disputebot run`), not for a test that starts many bots in one."""
    token = settings.require_token()
    clock = clock or SystemClock()

    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await on_startup(application, settings, clock)
        if freeze_heap:
            freeze_startup_heap()

    application = (
        ApplicationBuilder()
        .bot(build_bot(settings, token))  # knows which button press it answered (bot/errors.py)
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(post_init)
        .post_shutdown(on_shutdown)
        .build()
    )
    register_flows(application)
    return application


def freeze_startup_heap() -> None:
    """Move what start-up made (modules, catalogs, PTB's and SQLAlchemy's objects: about 200,000
    objects) out of the collector's way: Python's full collection walks every tracked object,
    and on this much it paused the event loop for about 0.2 s each time, every update waiting
    meanwhile (`tests/bench/updates.py`: the p99 at 50 updates a second). Frozen objects are
    never collected as cycles, which costs nothing here: they live as long as the process.
    Objects made later are collected as always (a full pass over them takes about 15 ms)."""
    gc.collect()
    gc.freeze()


async def on_startup(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings, clock: Clock
) -> None:
    """Open the database (migrating it), load the catalogs, register the command menus.

    A database or evidence store the bot cannot use raises `ConfigError` (one line naming
    the variable) before any update is handled.
    """
    mediators = settings.mediator_chat_id is not None
    # Without mediators, what happens next is said as it is (flows/no_mediators.py).
    catalogs = Catalogs(substitutes=None if mediators else no_mediator_texts())
    lifecycle = settings.lifecycle_policy()
    log.info("starting: %s", where(settings))
    db = await open_database(settings, lifecycle)
    try:
        files = await evidence_files(settings, db, clock)
    except BaseException:
        await db.dispose()
        raise
    services = Services(
        settings=settings,
        db=db,
        clock=clock,
        catalogs=catalogs,
        policy=settings.deadline_policy(),
        files=files,
        lifecycle=lifecycle,
    )
    application.bot_data[SERVICES_KEY] = services
    register_witness(services)  # the head notice posted at every milestone, in these words
    buttons_off = application.bot_data[BUTTONS_OFF_KEY] = ButtonsOff(services, application.bot)
    if isinstance(application.bot, DisputeBot):
        application.bot.record_buttons_with(partial(_record_buttons, services))
    if isinstance(application.update_processor, PerChatUpdateProcessor):
        application.update_processor.after_update = buttons_off.after
    # After the database: a setting refused before it says only that (one line); a refusal
    # here closes the database through post_shutdown.
    await check_staff_chat(application.bot, settings)
    if isinstance(application.update_processor, PerChatUpdateProcessor) and db.chat_locks.shared:
        application.update_processor.use_shared_locks(db.chat_locks.hold)
    await register_commands(application.bot, catalogs, mediators=mediators)
    try:  # what a killed process committed but never sent goes out before anything new
        await deliver_pending(services, application.bot)
    except Exception:  # the sweep tries again; the rows are safe in the outbox
        log.exception("delivering the outbox at start-up failed")
    await buttons_off.run()  # buttons a killed process left on messages they no longer apply to
    if settings.sweep_interval_seconds > 0:
        application.bot_data[SCHEDULER_KEY] = start_scheduler(
            services, application.bot, settings.sweep_interval_seconds
        )
    log.info("bot @%s started", application.bot.username)


async def _record_buttons(
    services: Services,
    chat_id: int,
    message_id: int,
    rows: list[list[tuple[str, str]]],
    edited: bool,
) -> None:
    """Keep the record of a message that shows buttons which may stop applying (and only
    while it does: bot/buttons_off.py)."""
    datas = [data for line in rows for _, data in line]
    if any(managed(data) for data in datas):
        case_id = await case_of(services.db, datas)  # the after-update pass reads by case
        await services.db.buttons.record(
            chat_id, message_id, rows, services.clock.now(), case_id=case_id
        )
        note_recorded(case_id, datas)
    elif edited:
        await services.db.buttons.forget(chat_id, message_id)


async def on_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    timer = application.bot_data.pop(SCHEDULER_KEY, None)
    if isinstance(timer, Timer):
        await timer.stop()  # a running sweep finishes before the database closes
    if isinstance(application.update_processor, PerChatUpdateProcessor):
        application.update_processor.use_shared_locks(None)
    services = application.bot_data.pop(SERVICES_KEY, None)
    if isinstance(services, Services):
        await services.db.dispose()
