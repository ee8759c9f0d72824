"""Deadlines in motion: a sweep that sends due reminders and applies default outcomes.

Deadlines are database rows; nothing lives in memory. APScheduler only wakes the sweep at a
fixed interval; the sweep claims due rows atomically (`claim_due`, `claim_reminders_due`), so
each reminder and each outcome happens exactly once, even with several workers on PostgreSQL.
Time comes from the injected clock, so tests move it instead of sleeping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot

from bot import ledger
from bot.i18n import N_
from bot.logs import bind_case
from bot.services import Services
from flows import chat_links, supplier_join
from flows.audience import RenderRows, parties, to_case, to_user
from flows.claim_render import case_number
from flows.rules.lifecycle import (
    DEADLINE_OUTCOMES,
    OUTCOME_ACTIONS,
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    Role,
    check_transition,
)
from storage import Case, ConcurrentUpdate, Deadline

log = logging.getLogger(__name__)

LEDGER_PRUNE_SECONDS = 3600  # the update ledger's rows expire in days; hourly is plenty

REMINDER_KEYS: dict[DeadlineKind, str] = {
    DeadlineKind.DRAFT_EXPIRY: N_("reminder.draft_expiry"),
    DeadlineKind.SUPPLIER_INVITATION: N_("reminder.supplier_invitation"),
    DeadlineKind.SUPPLIER_RESPONSE: N_("reminder.supplier_response"),
    DeadlineKind.NEGOTIATION: N_("reminder.negotiation"),
    DeadlineKind.MEDIATOR_ASSIGNMENT: N_("reminder.mediator_assignment"),
    DeadlineKind.MEDIATION: N_("reminder.mediation"),
    DeadlineKind.ARBITRATION_STATEMENTS: N_("reminder.arbitration_statements"),
    DeadlineKind.ARBITRATION_DECISION: N_("reminder.arbitration_decision"),
    DeadlineKind.FULFILMENT: N_("reminder.fulfilment"),
    DeadlineKind.RECONSIDERATION: N_("reminder.reconsideration"),
}
# What everyone is told when a deadline's default outcome moved the case, by the deadline that
# passed: "escalated" is not one fact (a supplier who never responded is not a negotiation that
# ran out of time).
OUTCOME_KEYS: dict[DeadlineKind, str] = {
    DeadlineKind.DRAFT_EXPIRY: N_("outcome_applied.draft_deleted"),
    DeadlineKind.SUPPLIER_INVITATION: N_("outcome_applied.claim_lapsed"),
    DeadlineKind.SUPPLIER_RESPONSE: N_("outcome_applied.supplier_silent"),
    DeadlineKind.NEGOTIATION: N_("outcome_applied.escalated"),
    DeadlineKind.MEDIATION: N_("outcome_applied.arbitration"),
    DeadlineKind.FULFILMENT: N_("outcome_applied.unfulfilled"),
}


@dataclass
class SweepReport:
    reminders: list[Deadline] = field(default_factory=list)
    fired: list[Deadline] = field(default_factory=list)


async def _remind(services: Services, bot: Bot, deadline: Deadline) -> None:
    case = await services.db.cases.get(deadline.case_id)
    if case is None:
        return
    bind_case(case.id)
    key = REMINDER_KEYS[deadline.kind]
    for user_id in parties(case):  # each reminded privately; a failed delivery is recorded
        await to_user(
            services,
            bot,
            case,
            user_id,
            lambda tr: tr.t(key, number=case_number(case.id), due=tr.datetime(deadline.due_at)),
            _reminder_buttons(case, deadline, user_id),
        )
    log.info("reminder sent for %s deadline due %s", deadline.kind, deadline.due_at)


def _reminder_buttons(case: Case, deadline: Deadline, user_id: int) -> RenderRows | None:
    """The one tap a reminder asks for, where there is one: the buyer's invitation."""
    if deadline.kind is DeadlineKind.SUPPLIER_INVITATION and user_id == case.buyer_id:
        return lambda tr: [[supplier_join.invite_button(tr, case.id)]]
    return None


async def _fire(services: Services, bot: Bot, deadline: Deadline) -> None:
    """Apply the default outcome of a deadline nobody met."""
    case = await services.db.cases.get(deadline.case_id)
    if case is None:
        return
    bind_case(case.id)
    now = services.clock.now()
    outcome = DEADLINE_OUTCOMES[deadline.kind]
    action = OUTCOME_ACTIONS.get(outcome)
    if action is None:
        await services.db.history.append(
            case.id,
            None,
            Role.SYSTEM,
            "deadline.passed",
            {"kind": str(deadline.kind), "outcome": str(outcome)},
            now,
        )
        log.info("deadline %s passed; outcome %s recorded", deadline.kind, outcome)
        return
    try:
        move = check_transition(case.facts, action, Role.SYSTEM, now)
        new_deadline = None
        if move.starts is not None:
            new_deadline = services.deadline(move.starts, now, filed_at=case.submitted_at)
        case = await services.db.cases.transition(
            case.id,
            action,
            None,
            Role.SYSTEM,
            now,
            reason=f"{deadline.kind} deadline passed",
            new_deadline=new_deadline,
            expected_version=case.version,
            closing_status="cancelled",
        )
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.warning("deadline %s not applied: %s", deadline.kind, exc)
        return
    if action is Action.EXPIRE_DRAFT:
        await services.db.drafts.delete(case.id)
    if case.state is CaseState.CLOSED:
        await chat_links.revoke_case_links(services, bot, case)  # nobody joins a closed case
    outcome_key = OUTCOME_KEYS[deadline.kind]
    # News for everyone: the shared chat when there is one, and each party privately.
    await to_case(
        services,
        bot,
        case,
        lambda tr: tr.t(outcome_key, number=case_number(case.id), due=tr.datetime(deadline.due_at)),
        private_to=parties(case),
    )
    log.info("deadline %s passed; case moved by %s", deadline.kind, action)


async def sweep(services: Services, bot: Bot) -> SweepReport:
    """One pass: reminders first, then outcomes. Safe to run from several workers at once."""
    report = SweepReport()
    now = services.clock.now()
    for deadline in await services.db.deadlines.claim_reminders_due(now):
        await _guarded(_remind, services, bot, deadline)
        report.reminders.append(deadline)
    for deadline in await services.db.deadlines.claim_due(now):
        await _guarded(_fire, services, bot, deadline)
        report.fired.append(deadline)
    return report


async def _guarded(step: Any, services: Services, bot: Bot, deadline: Deadline) -> None:
    try:
        await step(services, bot, deadline)
    except Exception:  # one bad case must not stop the sweep for every other case
        log.exception("deadline %s of case %s failed", deadline.id, deadline.case_id)
    finally:
        bind_case(None)


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
