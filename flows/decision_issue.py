"""Issuing the mediator's decision: the text both parties read, and the one transaction that
records it (the decision, the case's transition, the obligations, the history, the news).

A decision on terms moves the case to `decided` (DECIDE) and its obligations go through
fulfilment exactly as a settlement's do (`flows/settlement.py`'s buttons). A dismissal of the
claim is the lifecycle's DISMISS: the case closes as "dismissed", PRODUCT.md's closing reason
for it, since nobody owes anything and nothing is left to fulfil; it may still be reconsidered
within the window. A decision is binding and replaces what the parties had agreed: the
settlement's obligations still open are cancelled with it (storage/repos/decisions.py) and the
announcement says so. A reconsideration's new decision replaces the one in force; confirming
that one keeps it (`confirm_news`). A decision that leaves no obligation open (a confirmed
decision whose obligations were all confirmed before the reconsideration, or a replacement
stating none while the rest was confirmed, or a first one stating none over a disputed
settlement) closes the case as fulfilled in the same transaction (CLOSE_FULFILLED): never
decided with nothing to do, to lapse as "not fulfilled".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot

from flows import chat_links
from flows.audience import RenderRows, parties, readers
from flows.buttons import FulfilAction, FulfilButton
from flows.callbacks import encode
from flows.claim_render import case_number
from flows.common import Button
from flows.decision_text import (
    announcement,
    decision_number,
    duty_lines,
    fulfilment_due,
    planned_duties,
)
from flows.outbox import after_commit
from flows.proposal_render import obligation_number, role_name
from flows.proposal_submit import paid_of
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, IllegalTransition, Role
from flows.services import Services
from locales.i18n import N_, Translator
from storage import (
    Case,
    ConcurrentUpdate,
    Decision,
    Move,
    NewObligation,
    Obligation,
    ObligationStatus,
    OutboxMessage,
)
from storage.repos.inputs import InputKey

log = logging.getLogger(__name__)

# An obligation still to be done or confirmed (a replaced decision's are cancelled).
OPEN_DUTIES = frozenset(
    {ObligationStatus.PENDING, ObligationStatus.DONE, ObligationStatus.DISPUTED}
)


def duty_buttons(
    case: Case, duties: list[Obligation]
) -> tuple[RenderRows, Callable[[int], RenderRows]]:
    """The buttons of the obligations still to do, as a settlement's: "Mark done" for the
    obligated party, Confirm / Not done for the other once marked done. The shared chat names
    whose each button is; privately each party gets their own."""

    def buttons(tr: Translator, duty: Obligation, role: Role | None) -> list[list[Button]]:
        number = obligation_number(duty.number)
        obligated = Role(duty.party_role)
        if duty.status == ObligationStatus.DONE:
            if role is obligated:
                return []
            return [
                [
                    (
                        tr.t("button.confirm_done"),
                        encode(FulfilButton(duty.id, FulfilAction.CONFIRM)),
                    ),
                    (tr.t("button.not_done"), encode(FulfilButton(duty.id, FulfilAction.NOT_DONE))),
                ]
            ]
        if duty.status not in (ObligationStatus.PENDING, ObligationStatus.DISPUTED):
            return []
        if role is None:
            label = tr.t("button.mark_done_by", number=number, party=role_name(tr, obligated))
            return [[(label, encode(FulfilButton(duty.id, FulfilAction.DONE)))]]
        if role is not obligated:
            return []
        return [
            [
                (
                    tr.t("button.mark_done", number=number),
                    encode(FulfilButton(duty.id, FulfilAction.DONE)),
                )
            ]
        ]

    def group_rows(tr: Translator) -> list[list[Button]]:
        return [row for duty in duties for row in buttons(tr, duty, None)]

    def own_rows(user_id: int) -> RenderRows:
        role = Role.BUYER if user_id == case.buyer_id else Role.SUPPLIER
        return lambda tr: [row for duty in duties for row in buttons(tr, duty, role)]

    return group_rows, own_rows


async def issue(
    services: Services,
    bot: Bot,
    case: Case,
    mediator_id: int,
    *,
    terms: dict[str, Any] | None,
    reasons: str,
    cited: list[int],
    no_evidence: bool,
    clear_input: InputKey | None,
    days: int | None = None,
) -> Decision | None:
    """Issue the decision in one transaction; None (nothing written) when the case is not in
    arbitration with this mediator any more (a double press, another mediator, moved on).
    `days`: the time to fulfil the mediator chose (FULFILMENT_DAYS when None)."""
    now = services.clock.now()
    duties = planned_duties(services, case, terms, days)
    _, currency = paid_of(case)
    due = fulfilment_due(services, duties, days)
    until = now + services.lifecycle.reconsideration_window
    mediator = await services.db.users.get(mediator_id)
    name = mediator.first_name if mediator is not None else "?"
    audience = await readers(services, case, private_to=parties(case))
    if terms is None:
        move = Move(Action.DISMISS, mediator_id, Role.MEDIATOR, reason="decision: dismissed")
    else:
        move = Move(
            Action.DECIDE,
            mediator_id,
            Role.MEDIATOR,
            reason="decision",
            new_deadline=services.deadline(DeadlineKind.FULFILMENT, now, due=due),
            expected_version=case.version,
        )

    close = None
    if terms is not None:
        closed = audience.render(
            lambda tr: tr.t("case.closed_fulfilled", number=case_number(case)),
            key=f"case:{case.id}:v{case.version + 2}:closed_fulfilled",
        )
        close = _close_fulfilled(mediator_id, closed)

    def news(made: Decision, created: list[Obligation], settled: list[int]) -> list[OutboxMessage]:
        """`settled`: the settlement's open obligations the decision cancelled."""

        def render(tr: Translator) -> str:
            lines = duty_lines(tr, created)
            return announcement(
                tr, case, made.number, name, terms, reasons, lines, due, until, settled
            )

        group_rows, own_rows = duty_buttons(case, created)
        key = f"case:{case.id}:decision:{made.number}"
        return audience.render(render, group_rows, key=key, private_rows=own_rows)

    try:
        made, _ = await services.db.decisions.issue(
            case.id,
            mediator_id,
            now,
            terms=terms,
            reasons=reasons,
            cited=cited,
            no_evidence=no_evidence,
            move=move,
            new_obligations=[NewObligation.from_rule(d, currency) for d in duties],
            news=news,
            clear_input=clear_input,
            close=close,
        )
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.info("decision not issued: %s", exc)
        return None
    log.info("decision D%s issued", made.number)
    await after_commit(services, bot, step="decided")
    await _revoke_if_closed(services, bot, case)
    return made


def _close_fulfilled(mediator_id: int, news: list[OutboxMessage]) -> Move:
    return Move(
        Action.CLOSE_FULFILLED,
        mediator_id,
        Role.MEDIATOR,
        reason="decision: every obligation already confirmed",
        outbox=news,
    )


async def _revoke_if_closed(services: Services, bot: Bot, case: Case) -> None:
    """A decision that closed the case (dismissed, or nothing left to fulfil): nobody joins
    it any more."""
    fresh = await services.db.cases.get(case.id)
    if fresh is not None and fresh.state is CaseState.CLOSED:
        log.info("case closed by the decision: %s", fresh.closed_reason)
        await chat_links.revoke_case_links(services, bot, fresh)


async def confirm_key(services: Services, case: Case, in_force: Decision | None) -> str:
    """The catalog key of the news confirming `in_force`, as the preview shows it (the
    transaction decides again, under the case's lock, whether nothing is left open)."""
    if in_force is None or in_force.terms is None:
        return N_("decision.confirmed_dismissal")
    duties = await services.db.obligations.list(case.id)
    if not any(o.status in OPEN_DUTIES for o in duties):
        return N_("decision.confirmed_fulfilled")
    return N_("decision.confirmed")


async def confirm(
    services: Services,
    bot: Bot,
    case: Case,
    mediator_id: int,
    in_force: Decision,
    *,
    reasons: str,
    cited: list[int],
    no_evidence: bool,
    clear_input: InputKey | None,
) -> bool:
    """A reconsideration confirms the decision in force: the case returns to it (decided, its
    obligations going on with a new fulfilment deadline; or closed again as dismissed)."""
    now = services.clock.now()
    mediator = await services.db.users.get(mediator_id)
    name = mediator.first_name if mediator is not None else "?"
    if in_force.terms is None:
        move = Move(Action.DISMISS, mediator_id, Role.MEDIATOR, reason="decision confirmed")
        due = now
    else:
        due = services.policy.due_at(DeadlineKind.FULFILMENT, now)
        move = Move(
            Action.DECIDE,
            mediator_id,
            Role.MEDIATOR,
            reason="decision confirmed",
            new_deadline=services.deadline(DeadlineKind.FULFILMENT, now, due=due),
            expected_version=case.version,
        )
    audience = await readers(services, case, private_to=parties(case))

    def render(tr: Translator, fulfilled: bool = False) -> str:
        key = (
            N_("decision.confirmed_dismissal")
            if in_force.terms is None
            else N_("decision.confirmed_fulfilled")
            if fulfilled
            else N_("decision.confirmed")
        )
        return tr.t(
            key,
            number=decision_number(in_force.number),
            case=case_number(case),
            name=name,
            reasons=reasons,
            due=tr.datetime(due),
        )

    # The obligations' buttons again: they were taken off while the case was reconsidered.
    duties = [
        o for o in await services.db.obligations.list(case.id) if o.decision_id == in_force.id
    ]
    group_rows, own_rows = duty_buttons(case, duties)
    outbox = audience.render(
        render,
        group_rows,
        key=f"case:{case.id}:decision:{in_force.number}:confirmed",
        private_rows=own_rows,
    )
    close = None
    if in_force.terms is not None:  # used only when nothing is left open (the repository)
        closed = audience.render(
            lambda tr: render(tr, fulfilled=True),
            key=f"case:{case.id}:decision:{in_force.number}:confirmed_fulfilled",
        )
        close = _close_fulfilled(mediator_id, closed)
    try:
        await services.db.decisions.confirm(
            case.id,
            mediator_id,
            now,
            reasons=reasons,
            cited=cited,
            no_evidence=no_evidence,
            move=move,
            outbox=outbox,
            clear_input=clear_input,
            close=close,
        )
    except (IllegalTransition, ConcurrentUpdate) as exc:
        log.info("decision not confirmed: %s", exc)
        return False
    await after_commit(services, bot, step="decided")
    await _revoke_if_closed(services, bot, case)
    return True
