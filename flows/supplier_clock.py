"""The supplier's clock: it starts at the buyer's FIRST invitation, and only then.

Filing starts the buyer's time to make the invitation (`SUPPLIER_INVITATION`, INVITATION_MAKE_DAYS;
if it passes, the claim lapses). Making the first invitation is one guarded transition
(`INVITE_SUPPLIER`): it closes the buyer's deadline as met and starts the supplier's response
deadline (SUPPLIER_RESPONSE_DAYS) in the same transaction. Nobody can answer an invitation that
does not exist, so the supplier's time cannot run before it.

A later invitation (a lost link, a wrong address) leaves the running deadline as it is: if a new
invitation restarted it, a buyer could keep a case waiting forever. The lifecycle refuses a
second start (`check_transition`), so a double press or two invitations start it once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Bot

from flows.audience import for_case
from flows.claim_render import case_number
from flows.messaging import send
from flows.outbox import after_commit
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, IllegalTransition, Role
from flows.services import Services
from locales.i18n import N_, Translator
from storage import Case, ConcurrentUpdate, OutboxMessage

log = logging.getLogger(__name__)

News = list[OutboxMessage]


async def response_due(services: Services, case_id: int) -> datetime | None:
    """When the supplier's response is due, while that deadline runs."""
    for deadline in await services.db.deadlines.pending_for_case(case_id):
        if deadline.kind is DeadlineKind.SUPPLIER_RESPONSE:
            return deadline.due_at
    return None


async def start(
    services: Services, case: Case, buyer_id: int, news: Callable[[datetime], Awaitable[News]]
) -> tuple[datetime | None, bool]:
    """Start the supplier's clock unless it already runs: (its due time, whether it started now).
    `news(due)` is what tells of its start, queued in the same transaction.

    The due time is None when the case no longer waits for the supplier.
    """
    for _ in range(2):  # once more if something else changed the case in between
        if case.invited_at is not None or case.state is not CaseState.AWAITING_SUPPLIER:
            break
        now = services.clock.now()
        deadline = services.deadline(DeadlineKind.SUPPLIER_RESPONSE, now)
        try:
            await services.db.cases.transition(
                case.id,
                Action.INVITE_SUPPLIER,
                buyer_id,
                Role.BUYER,
                now,
                reason="first supplier invitation",
                new_deadline=deadline,
                expected_version=case.version,
                outbox=await news(deadline.due_at),
            )
        except IllegalTransition as refused:  # a concurrent press started it first
            log.info("supplier's clock not started here: %s", refused.reason)
            break
        except ConcurrentUpdate:
            fresh = await services.db.cases.get(case.id)
            if fresh is None:
                break
            case = fresh
            continue
        log.info("supplier's clock started, response due %s", deadline.due_at)
        return deadline.due_at, True
    return await response_due(services, case.id), False


async def invitation_made(
    services: Services, bot: Bot, case: Case, buyer_id: int, tr: Translator
) -> None:
    """An invitation exists: start the supplier's clock (once) and tell the buyer its date, and
    the dispute chat, if there is one, that the next step is now the supplier's."""

    async def news(due: datetime) -> News:
        started = N_("invite.clock_started")
        return [
            OutboxMessage(
                buyer_id,
                tr.t(started, number=case_number(case), due=tr.datetime(due)),
                f"case:{case.id}:clock:user:{buyer_id}",
                case.id,
            ),
            *await for_case(
                services,
                case,
                lambda t: t.t("group.next_step", due=t.datetime(due)),
                key=f"case:{case.id}:clock",
                private_to=[],
            ),
        ]

    due, started = await start(services, case, buyer_id, news)
    if due is None:
        return
    if started:
        await after_commit(services, bot)
        return
    running = N_("invite.clock_running")
    await send(bot, buyer_id, tr.t(running, number=case_number(case), due=tr.datetime(due)))


async def respond_by(services: Services, case: Case, tr: Translator) -> list[str]:
    """What the supplier reads on opening an invitation: the deadline, if one runs."""
    due = await response_due(services, case.id)
    return [] if due is None else [tr.t("invite.respond_by", due=tr.datetime(due))]
