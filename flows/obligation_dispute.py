"""Saying an obligation was not done: asked why first, then the case goes to mediation.

That cannot be undone, so the press ("It was not done", also from /case) only asks for a short
reason, typed, with Cancel; the reason, once given, does it. It is recorded with the obligation
("obligation.disputed") and in the case's transition, and shown to the other party.
"""

from __future__ import annotations

from telegram import Bot, Message
from telegram.ext import ContextTypes

from flows import inputs
from flows.audience import for_case, parties
from flows.claim_render import case_number
from flows.common import keyboard
from flows.mediator_pool import has_pool, post_owed
from flows.messaging import send
from flows.outbox import after_commit
from flows.proposal_render import obligation_number, role_name
from flows.rules.lifecycle import (
    Action,
    CaseState,
    DeadlineKind,
    IllegalTransition,
    Role,
    check_transition,
)
from flows.services import Services
from locales.i18n import N_, Translator
from storage import Case, ConcurrentUpdate, Conflict, Move, Obligation, PendingInput, User

FULFILMENT_STATES = frozenset({CaseState.SETTLED, CaseState.DECIDED})
NOT_DONE = "not_done"  # the typed reason why an obligation was not done
REASON_MAX = 500  # a short reason: the full story is for the mediator


async def ask_reason(
    services: Services,
    bot: Bot,
    case: Case,
    duty: Obligation,
    user_id: int,
    tr: Translator,
    cancel_data: str,
) -> None:
    """Ask `user_id` why `duty` was not done, saying what that does; Cancel is `cancel_data`."""
    await services.db.inputs.put(
        user_id,
        user_id,
        NOT_DONE,
        case.id,
        str(duty.id),
        {"obligation_id": duty.id},
        services.clock.now(),
    )
    rows = [[(tr.t("button.cancel"), cancel_data)]]
    number = obligation_number(duty.number)
    text = tr.t("obligation.ask_not_done", number=number, max=REASON_MAX)
    await send(bot, user_id, text, keyboard(rows))


async def on_not_done_reason(
    services: Services,
    context: ContextTypes.DEFAULT_TYPE,
    message: Message,
    pending: PendingInput,
    user: User,
    tr: Translator,
) -> None:
    """The reason an obligation was not done: giving it sends the case to mediation."""
    reason = inputs.typed_text(message, REASON_MAX)
    duty = await services.db.obligations.get(int(pending.data["obligation_id"]))
    case = await services.db.cases.get(pending.case_id)
    role = await services.db.cases.role_of(pending.case_id, user.id)
    if duty is None or case is None or role is None or case.state not in FULFILMENT_STATES:
        await services.db.inputs.clear(user.id, user.id)
        await send(context.bot, user.id, tr.t("obligation.case_moved"))
        return
    disputed = await dispute(services, context.bot, case, duty, user.id, role, reason)
    await services.db.inputs.clear(user.id, user.id)  # after: a failure keeps the question
    if not disputed:
        await send(
            context.bot, user.id, tr.t("obligation.already", number=obligation_number(duty.number))
        )


async def dispute(
    services: Services,
    bot: Bot,
    case: Case,
    duty: Obligation,
    user_id: int,
    role: Role,
    reason: str,
) -> bool:
    """Say `duty` was not done, for `reason`: the case goes to mediation. False when that was
    no longer possible (already handled, or the case moved on): nothing changed."""
    now = services.clock.now()
    assignment = services.deadline(DeadlineKind.MEDIATOR_ASSIGNMENT, now)
    # Without a staff chat nobody will come: said plainly, nothing promised.
    told = (
        N_("mediation.waiting_fulfilment")
        if has_pool(services)
        else N_("mediation.disputed_no_pool")
    )
    news = await for_case(
        services,
        case,
        lambda t: t.t(
            told,
            number=case_number(case),
            obligation=obligation_number(duty.number),
            by=role_name(t, role),
            reason=reason,
            due=t.datetime(assignment.due_at),
        ),
        key=f"case:{case.id}:v{case.version + 1}:disputed:{duty.id}",
        private_to=parties(case),
    )
    try:
        check_transition(case.facts, Action.DISPUTE_FULFILMENT, role, now, services.lifecycle)
        to_mediation = Move(
            Action.DISPUTE_FULFILMENT,
            user_id,
            role,
            reason=f"{obligation_number(duty.number)} disputed",
            payload={"obligation": duty.number, "not_done_reason": reason},
            new_deadline=assignment,
            outbox=news,
        )
        # The obligation disputed and the case in mediation: one transaction.
        await services.db.obligations.dispute(
            duty.id, user_id, now, reason=reason, move=to_mediation
        )
    except (Conflict, IllegalTransition, ConcurrentUpdate):
        return False
    await after_commit(services, bot)
    await post_owed(services, bot)
    return True


def pending_inputs() -> dict[str, inputs.InputHandler]:
    """The typed answers this flow waits for (routed by `flows/inputs.py`)."""
    return {NOT_DONE: on_not_done_reason}
