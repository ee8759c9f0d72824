"""The news of the arbitration deadlines, rendered for the sweep (flows/sweep.py) to queue with
the deadline's outcome in one transaction.

When the final statements close, the mediator is asked (privately, in their language) to decide
by the decision deadline, which starts then, and the parties are told the statements are closed
and when the decision is due. When the decision deadline passes, the whole pool (the staff
chat, both languages) is told the decision is overdue and the parties are told too. Nothing is
decided automatically: a binding decision needs the mediator's reasons.
"""

from __future__ import annotations

from datetime import datetime

from flows.audience import for_case, for_user, parties
from flows.callbacks import DecideCase, encode
from flows.claim_render import case_number
from flows.mediator_pool import staff_text
from flows.services import Services
from storage import Case, Deadline, OutboxMessage


async def decision_period(services: Services, case: Case, due: datetime) -> list[OutboxMessage]:
    """The statements are closed: the mediator is asked to decide by `due`; the parties told."""
    number = case_number(case)
    key = f"case:{case.id}:decision_period"
    told = await for_case(
        services,
        case,
        lambda t: t.t("decision.awaited", number=number, due=t.datetime(due)),
        key=key,
        private_to=parties(case),
    )
    if case.mediator_id is not None:
        told.append(
            await for_user(
                services,
                case,
                case.mediator_id,
                lambda t: t.t("decision.asked", number=number, due=t.datetime(due)),
                lambda t: [[(t.t("button.decide"), encode(DecideCase(case.id)))]],
                key=f"{key}:mediator",
            )
        )
    return told


async def decision_overdue(
    services: Services, case: Case, deadline: Deadline
) -> list[OutboxMessage]:
    """The decision is overdue: the pool (staff chat) and the parties are told."""
    number = case_number(case)
    key = f"deadline:{deadline.id}"
    mediator = await services.db.users.get(case.mediator_id) if case.mediator_id else None
    name = mediator.first_name if mediator is not None else "—"
    told: list[OutboxMessage] = []
    chat_id = services.settings.mediator_chat_id
    if chat_id is not None:
        text = staff_text(
            services,
            lambda t: t.t(
                "decision.overdue_pool",
                number=number,
                name=name,
                due=t.datetime(deadline.due_at),
            ),
        )
        told.append(OutboxMessage(chat_id, text, f"{key}|pool", case.id))
    told += await for_case(
        services,
        case,
        lambda t: t.t("decision.overdue_parties", number=number),
        key=key,
        private_to=parties(case),
    )
    return told
