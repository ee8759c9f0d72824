"""Deadlines in motion: a sweep that sends due reminders and applies default outcomes.

Deadlines are database rows; nothing lives in memory. APScheduler only wakes the sweep at a
fixed interval (`bot/scheduler.py`, the timer; this module is what it wakes). Each step is one
transaction (`storage/repos/sweep.py`): a reminder moment is claimed together with queueing its
messages, a due deadline is claimed together with applying its outcome and queueing its news,
so each happens exactly once, even with several workers on PostgreSQL, and a crash in between
leaves nothing half done. The news goes out through the outbox (`flows/outbox.py`), delivered
at the end of every sweep. Time comes from the injected clock, so tests move it instead of
sleeping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from telegram import Bot

from flows import arbitration_news, chat_links
from flows.audience import RenderRows, for_case, for_user, parties
from flows.claim_render import case_number
from flows.crash import crash_point, hold_point
from flows.evidence_requests import lapse_news
from flows.logs import bind_case
from flows.mediator_pool import has_pool, post_owed, staff_text
from flows.outbox import deliver_pending
from flows.rules.lifecycle import (
    OUTCOME_ACTIONS,
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    Role,
    check_transition,
    deadline_outcome,
)
from flows.services import Services
from flows.statements_round import round_news
from flows.stats_ratings import ask_ratings
from flows.supplier_invite import invite_button
from locales.i18n import N_
from storage import Case, ConcurrentUpdate, Deadline, OutboxMessage
from storage.repos.deadlines import next_reminder_after

log = logging.getLogger(__name__)

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
    DeadlineKind.EVIDENCE_REQUEST: N_("reminder.evidence_request"),
}
# What everyone is told when a deadline's default outcome moved the case, by the deadline that
# passed: "escalated" is not one fact (a supplier who never responded is not a negotiation that
# ran out of time).
OUTCOME_KEYS: dict[DeadlineKind, str] = {
    DeadlineKind.DRAFT_EXPIRY: N_("outcome_applied.draft_deleted"),
    DeadlineKind.SUPPLIER_INVITATION: N_("outcome_applied.claim_lapsed"),
    DeadlineKind.SUPPLIER_RESPONSE: N_("outcome_applied.supplier_silent"),
    DeadlineKind.NEGOTIATION: N_("outcome_applied.escalated"),
    DeadlineKind.MEDIATION: N_("statements.opened_system"),  # as if the mediator opened it
    DeadlineKind.FULFILMENT: N_("outcome_applied.unfulfilled"),
}
# Where the service has no mediators (no MEDIATOR_CHAT_ID) these deadlines end the case
# (`NO_MEDIATOR_OUTCOMES`): said plainly, with no promise of a mediator.
OUTCOME_KEYS_NO_POOL: dict[DeadlineKind, str] = {
    DeadlineKind.SUPPLIER_RESPONSE: N_("outcome_applied.supplier_silent_no_pool"),
    DeadlineKind.NEGOTIATION: N_("outcome_applied.escalated_no_pool"),
    DeadlineKind.MEDIATOR_ASSIGNMENT: N_("outcome_applied.unresolved_no_pool"),
    DeadlineKind.FULFILMENT: N_("outcome_applied.unfulfilled_no_pool"),
}
# Deadlines whose reminders and passing concern the mediators' pool (the staff chat) as well
# as the parties; with no pool, the parties are not reminded of a mediator who will not come.
POOL_REMINDER_KEYS: dict[DeadlineKind, str] = {
    DeadlineKind.MEDIATOR_ASSIGNMENT: N_("pool.reminder"),
}
# Deadlines that leave the case where it is but tell someone: (the pool's, the parties') news.
RECORDED_NEWS: dict[DeadlineKind, tuple[str, str]] = {
    DeadlineKind.MEDIATOR_ASSIGNMENT: (N_("pool.overdue"), N_("pool.overdue_parties")),
}
# A reconsideration waits for the pool in arbitration, not in mediation: its reminders and
# overdue news say so, and name the decision reconsidered ({decision}).
RECONSIDERATION_KEYS: dict[str, str] = {
    N_("reminder.mediator_assignment"): N_("reminder.reconsideration_assignment"),
    N_("pool.reminder"): N_("pool.reminder_reconsideration"),
    N_("pool.overdue"): N_("pool.overdue_reconsideration"),
    N_("pool.overdue_parties"): N_("pool.overdue_parties_reconsideration"),
}


async def _reconsidered(services: Services, case: Case) -> str | None:
    """The decision ("D1") a case waiting for the pool is a reconsideration of; None for a
    case escalated to mediation."""
    if case.state is not CaseState.ARBITRATION:
        return None
    decision = await services.db.decisions.in_force(case.id)
    return f"D{decision.number}" if decision is not None else "?"


def _keyed(key: str, decision: str | None) -> str:
    return key if decision is None else RECONSIDERATION_KEYS.get(key, key)


@dataclass
class SweepReport:
    reminders: list[Deadline] = field(default_factory=list)
    fired: list[Deadline] = field(default_factory=list)


async def _remind(services: Services, bot: Bot, deadline: Deadline) -> bool:
    """Claim one reminder moment and queue its messages in one transaction; False when another
    worker had it."""
    case = await services.db.cases.get(deadline.case_id)
    if case is None:
        return False
    bind_case(case.id)
    now = services.clock.now()
    decision = await _reconsidered(services, case)
    key = _keyed(REMINDER_KEYS[deadline.kind], decision)
    moment = deadline.next_reminder_at
    # A case back in mediation that still has its mediator (a settlement they brokered, then
    # disputed) is not the pool's to take.
    pooled = deadline.kind in POOL_REMINDER_KEYS and case.mediator_id is None
    news = [
        await for_user(  # each party reminded privately (or whoever the deadline waits for)
            services,
            case,
            user_id,
            lambda tr: tr.t(
                key, number=case_number(case), due=tr.datetime(deadline.due_at), decision=decision
            ),
            _reminder_buttons(case, deadline, user_id),
            key=f"reminder:{deadline.id}:{moment.isoformat() if moment else ''}",
        )
        for user_id in await _reminded(services, case, deadline)
    ]
    chat_id = services.settings.mediator_chat_id
    if pooled and chat_id is not None:
        pool_key = _keyed(POOL_REMINDER_KEYS[deadline.kind], decision)
        due = deadline.due_at
        text = staff_text(
            services,
            lambda tr: tr.t(
                pool_key, number=case_number(case), due=tr.datetime(due), decision=decision
            ),
        )
        stamp = moment.isoformat() if moment else ""
        news.append(OutboxMessage(chat_id, text, f"reminder:{deadline.id}:{stamp}|pool", case.id))
    following = next_reminder_after(deadline.reminder_times, now, deadline.due_at)
    if not await services.db.sweep.remind(deadline, following, now, news):
        return False
    crash_point("sweep.reminder_committed")
    log.info("reminder queued for %s deadline due %s", deadline.kind, deadline.due_at)
    return True


async def _reminded(services: Services, case: Case, deadline: Deadline) -> list[int]:
    """Who a reminder is for: the mediator for their decision, the party asked for evidence,
    else both parties."""
    if deadline.kind is DeadlineKind.ARBITRATION_DECISION:
        return [case.mediator_id] if case.mediator_id is not None else []
    if deadline.kind is DeadlineKind.EVIDENCE_REQUEST:
        request = await services.db.evidence_requests.by_deadline(deadline.id)
        if request is None:
            return []
        party = case.buyer_id if request.party_role is Role.BUYER else case.supplier_id
        return [party] if party is not None else []
    return parties(case)


def _reminder_buttons(case: Case, deadline: Deadline, user_id: int) -> RenderRows | None:
    """The one tap a reminder asks for, where there is one: the buyer's invitation."""
    if deadline.kind is DeadlineKind.SUPPLIER_INVITATION and user_id == case.buyer_id:
        return lambda tr: [[invite_button(tr, case.id)]]
    return None


async def _fire(services: Services, bot: Bot, deadline: Deadline) -> bool:
    """Apply the default outcome of a deadline nobody met: claiming the deadline, checking the
    case is still where it applies, moving it and queueing the news are one transaction."""
    case = await services.db.cases.get(deadline.case_id)
    if case is None:
        return False
    bind_case(case.id)
    now = services.clock.now()
    pool = has_pool(services)
    outcome = deadline_outcome(deadline.kind, mediators=pool)
    action = OUTCOME_ACTIONS.get(outcome)
    passed = {"kind": str(deadline.kind), "outcome": str(outcome)}
    fire = partial(
        services.db.sweep.fire,
        deadline,
        now,
        case_version=case.version,
        before_commit=partial(crash_point, "sweep.deadline_in_transaction"),
    )
    if deadline.kind is DeadlineKind.EVIDENCE_REQUEST:
        return await _lapse(services, case, deadline, now, fire, passed)
    if action is None:
        log.info("deadline %s passed; outcome %s recorded", deadline.kind, outcome)
        starts = None
        if deadline.kind is DeadlineKind.ARBITRATION_STATEMENTS:
            starts = services.deadline(DeadlineKind.ARBITRATION_DECISION, now)
            told = await arbitration_news.decision_period(services, case, starts.due_at)
        elif deadline.kind is DeadlineKind.ARBITRATION_DECISION:
            told = await arbitration_news.decision_overdue(services, case, deadline)
        else:
            told = await _recorded_news(services, case, deadline)
        fired = await fire(action=None, passed_event=passed, new_deadline=starts, outbox=told)
        return fired is not None
    try:
        move = check_transition(case.facts, action, Role.SYSTEM, now)
    except IllegalTransition as exc:
        # The case is no longer where this outcome applies: the deadline ends, on the record.
        log.warning("deadline %s not applied: %s", deadline.kind, exc)
        return await fire(action=None, passed_event={**passed, "not_applied": str(exc)}) is not None
    new_deadline = None
    if move.starts is not None:
        new_deadline = services.deadline(move.starts, now, filed_at=case.submitted_at)
    # Without mediators some outcomes differ (`NO_MEDIATOR_OUTCOMES`), and so does their news.
    outcome_key = (OUTCOME_KEYS if pool else OUTCOME_KEYS | OUTCOME_KEYS_NO_POOL)[deadline.kind]
    # A party who acts from here on (before the transaction below) keeps their action: the
    # case's version moves, or their change closes the deadline, and the outcome is not applied.
    await hold_point("sweep.deadline_claimed")
    # News for everyone: the shared chat when there is one, and each party privately.
    if deadline.kind is DeadlineKind.MEDIATION and new_deadline is not None:
        # The same news as a round the mediator opens, with its own date.
        news = await round_news(services, case, new_deadline.due_at, Role.SYSTEM)
    else:
        news = await for_case(
            services,
            case,
            lambda tr: tr.t(
                outcome_key, number=case_number(case), due=tr.datetime(deadline.due_at)
            ),
            key=f"deadline:{deadline.id}",
            private_to=parties(case),
        )
    try:
        moved = await fire(
            action=action,
            new_deadline=new_deadline,
            delete_draft=action is Action.EXPIRE_DRAFT,
            outbox=news,
        )
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.info("deadline %s not applied yet, the case moved: %s", deadline.kind, exc)
        return False  # still pending: the next sweep looks again
    if not isinstance(moved, Case):
        return False
    if moved.state is CaseState.CLOSED:
        await chat_links.revoke_case_links(services, bot, moved)  # nobody joins a closed case
    log.info("deadline %s passed; case moved by %s", deadline.kind, action)
    return True


async def _lapse(
    services: Services,
    case: Case,
    deadline: Deadline,
    now: datetime,
    fire: Any,
    passed: dict[str, str],
) -> bool:
    """A request for evidence passed unmet: lapsed, the mediator and the party told, in one
    transaction with claiming the deadline."""
    request = await services.db.evidence_requests.by_deadline(deadline.id)
    if request is None:  # no request behind it: only the record
        return await fire(action=None, passed_event=passed) is not None
    news = await lapse_news(services, case, request)
    lapsed = await services.db.evidence_requests.lapse(deadline, now, news)
    log.info("evidence request R%s lapsed: %s", request.number, lapsed is not None)
    return lapsed is not None


async def _recorded_news(services: Services, case: Case, deadline: Deadline) -> list[OutboxMessage]:
    """The news of a deadline that passed without moving the case (`RECORDED_NEWS`): the pool
    in the staff chat, the parties privately and in their chat."""
    chat_id = services.settings.mediator_chat_id
    if deadline.kind not in RECORDED_NEWS or chat_id is None or case.mediator_id is not None:
        return []
    decision = await _reconsidered(services, case)
    pool_key, parties_key = (_keyed(k, decision) for k in RECORDED_NEWS[deadline.kind])
    days = services.policy.mediator_assignment_working_days
    number = case_number(case)
    pool = OutboxMessage(
        chat_id,
        staff_text(services, lambda tr: tr.t(pool_key, number=number, decision=decision)),
        f"deadline:{deadline.id}|pool",
        case.id,
    )
    told = await for_case(
        services,
        case,
        lambda tr: tr.t(parties_key, number=number, days=days, decision=decision),
        key=f"deadline:{deadline.id}",
        private_to=parties(case),
    )
    return [pool, *told]


async def sweep(services: Services, bot: Bot) -> SweepReport:
    """One pass: reminders first, then outcomes, then whatever the outbox holds that can go
    (news just queued, and news a crashed worker left). Safe from several workers at once."""
    report = SweepReport()
    now = services.clock.now()
    for deadline in await services.db.sweep.due_reminders(now):
        if await _guarded(_remind, services, bot, deadline):
            report.reminders.append(deadline)
    for deadline in await services.db.sweep.due_deadlines(now):
        if await _guarded(_fire, services, bot, deadline):
            report.fired.append(deadline)
    try:  # the parties of cases closed since the last pass are asked for a rating
        await ask_ratings(services)
    except Exception:  # the next sweep asks them; nothing was recorded for a failed one
        log.exception("asking for ratings failed")
    try:
        await post_owed(services, bot)
    except Exception:  # the next sweep tries again; the cases stay owed
        log.exception("posting to the mediators' staff chat failed")
    try:
        await deliver_pending(services, bot)
    except Exception:  # the next sweep tries again; the rows are safe in the outbox
        log.exception("delivering the outbox failed")
    return report


async def _guarded(step: Any, services: Services, bot: Bot, deadline: Deadline) -> bool:
    try:
        return bool(await step(services, bot, deadline))
    except Exception:  # one bad case must not stop the sweep for every other case
        log.exception("deadline %s of case %s failed", deadline.id, deadline.case_id)
        return False
    finally:
        bind_case(None)
