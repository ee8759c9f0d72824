"""A party asks once for the reconsideration of a decision: `/reconsider <number>` privately,
within the window after the decision (RECONSIDERATION_DAYS, 3 by default, counted from the
decision, not from the closing), with new evidence and a reason.

New evidence: at least one item the asker gave (private /evidence) after the decision. The
reason is a pending input (kind "reconsider"); the request itself is the guarded transition
RECONSIDER with its news, one transaction. The case goes back to arbitration without a
mediator and is posted to the pool marked as a reconsideration; its first mediator may not take
it. While it is reconsidered, the decision's obligations are suspended: the case is out of
fulfilment, so their buttons refuse ("the case moved on") and no fulfilment deadline runs; the
new mediator's decision replaces them (those not yet confirmed are cancelled) or, confirming
the decision, lets them go on with a new fulfilment deadline.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from flows import inputs
from flows.audience import for_case, parties
from flows.callbacks import ReconsiderCancel, decode, encode, pattern
from flows.case_context import numbered_command
from flows.claim_render import case_number
from flows.common import keyboard
from flows.decision_text import decision_number
from flows.logs import bind_case
from flows.mediator_pool import post_owed
from flows.messaging import send
from flows.outbox import after_commit
from flows.proposal_render import role_name
from flows.rules.decisions import RECONSIDER_REASON_MAX_LEN
from flows.rules.lifecycle import Action, DeadlineKind, IllegalTransition, Role
from flows.services import Services, get_services
from locales.i18n import N_, Translator
from storage import Case, ConcurrentUpdate, Decision, PendingInput, User

log = logging.getLogger(__name__)

KIND = "reconsider"


async def _refusal(
    services: Services, tr: Translator, case: Case | None, user_id: int, number: str
) -> tuple[str | None, Decision | None, list[int]]:
    """(why not, the decision in force, the asker's new evidence numbers)."""
    role = await services.db.cases.role_of(case.id, user_id) if case is not None else None
    if case is None or role not in (Role.BUYER, Role.SUPPLIER):
        return tr.t("reconsider.not_party", number=number), None, []
    decision = await services.db.decisions.in_force(case.id)
    if decision is None or case.decided_at is None:
        return tr.t("reconsider.no_decision", number=number), None, []
    if case.reconsiderations >= services.lifecycle.max_reconsiderations:
        return tr.t("reconsider.already", number=number), decision, []
    until = case.decided_at + services.lifecycle.reconsideration_window
    if services.clock.now() > until:
        text = tr.t(
            "reconsider.too_late",
            number=number,
            decision=decision_number(decision.number),
            until=tr.datetime(until),
        )
        return text, decision, []
    fresh = [
        e.number
        for e in await services.db.evidence.list(case.id)
        if e.submitter_id == user_id and e.created_at > decision.created_at
    ]
    if not fresh:
        text = tr.t(
            "reconsider.no_new_evidence",
            number=number,
            filed=case.number or case.id,
            decision=decision_number(decision.number),
            until=tr.datetime(until),
        )
        return text, decision, []
    return None, decision, fresh


async def on_reconsider(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reconsider <number>: checked, then the reason is asked."""
    command = await numbered_command(update, context, N_("reconsider.usage"))
    if command is None:
        return
    services, user, tr, case = command.services, command.user, command.tr, command.case
    why, decision, fresh = await _refusal(services, tr, case, user.id, f"#{command.number}")
    if why is not None or case is None or decision is None:
        await send(context.bot, command.chat_id, why or "")
        return
    bind_case(case.id)
    await services.db.inputs.put(
        user.id, user.id, KIND, case.id, "reason", {"evidence": fresh}, services.clock.now()
    )
    rows = [[(tr.t("button.cancel"), encode(ReconsiderCancel(case.id)))]]
    text = tr.t(
        "reconsider.ask_reason",
        decision=decision_number(decision.number),
        evidence=", ".join(f"E{n}" for n in fresh),
    )
    await send(context.bot, user.id, text, keyboard(rows))


async def on_reason(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The reason: the request is made, or refused with why (nothing changed)."""
    reason = inputs.typed_text(message, RECONSIDER_REASON_MAX_LEN)
    case = await services.db.cases.get(pending.case_id)
    number = case_number(case) if case is not None else "?"
    why, decision, fresh = await _refusal(services, tr, case, user.id, number)
    if why is not None or case is None or decision is None:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, why or "")
        return
    await _request(services, context.bot, case, decision, fresh, user, reason, tr)


async def _request(
    services: Services,
    bot: Bot,
    case: Case,
    decision: Decision,
    fresh: list[int],
    user: User,
    reason: str,
    tr: Translator,
) -> None:
    role = Role.BUYER if user.id == case.buyer_id else Role.SUPPLIER
    now = services.clock.now()
    deadline = services.deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now)
    number = decision_number(decision.number)
    news = await for_case(
        services,
        case,
        lambda t: t.t(
            "reconsider.requested_news",
            number=case_number(case),
            decision=number,
            by=role_name(t, role),
            reason=reason,
            evidence=", ".join(f"E{n}" for n in fresh),
        ),
        key=f"case:{case.id}:v{case.version + 1}:reconsider",
        private_to=parties(case),
    )
    try:
        await services.db.cases.transition(
            case.id,
            Action.RECONSIDER,
            user.id,
            role,
            now,
            reason=reason,
            payload={"decision": decision.number, "evidence": fresh},
            new_deadline=deadline,
            expected_version=case.version,
            outbox=news,
            clear_input=(user.id, user.id),
        )
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.info("reconsideration not applied: %s", exc)
        await services.db.inputs.clear(user.id, user.id)
        await send(bot, user.id, tr.t("reconsider.already", number=case_number(case)))
        return
    log.info("reconsideration of %s requested", number)
    await after_commit(services, bot, step="reconsider")
    await post_owed(services, bot)


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = get_services(context)
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    user, tr = await services.reader(update.effective_user)
    data = decode(query.data, ReconsiderCancel)
    if data is None:
        await query.answer(tr.t("callback.unavailable"), show_alert=True)
        return
    pending = await services.db.inputs.get(user.id, user.id)
    if pending is None or pending.kind != KIND or pending.case_id != data.case_id:
        await query.answer(tr.t("callback.stale"), show_alert=True)
        return
    await services.db.inputs.clear(user.id, user.id)
    await query.answer()
    await send(context.bot, user.id, tr.t("reconsider.cancelled"))


def pending_inputs() -> dict[str, inputs.InputHandler]:
    return {KIND: on_reason}


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        CommandHandler("reconsider", on_reconsider, filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_cancel, pattern=pattern(ReconsiderCancel)),
    ]
