"""Making a proposal: recording it (with what the same step changes) and its news to both parties.

Below both `flows/proposals.py` (the decisions on a proposal: Accept, Reject, Counter) and
`flows/proposal_builder.py` (the private form a proposal is made in, also a counter-proposal
started from a proposal's Counter button), which both use it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from telegram import Bot

from flows.audience import readers
from flows.buttons import ProposalAction, ProposalButton
from flows.callbacks import encode
from flows.claim_render import case_number
from flows.common import Button
from flows.crash import crash_point
from flows.mediator_proposal_news import made_news
from flows.outbox import after_commit
from flows.proposal_render import proposal_number, role_name, terms_text
from flows.rules.lifecycle import Action, CaseState, DeadlineKind, Role
from flows.rules.proposals import Proposal
from flows.services import Services
from flows.stats_similar import similar_hint
from locales.i18n import N_, Translator
from storage import Case, Deadline, Move, NewDeadline, OutboxMessage
from storage import Proposal as StoredProposal

log = logging.getLogger(__name__)

# The deadline a proposal must be accepted by, per stage, and its default outcome.
OPEN_UNTIL_KEYS = {
    DeadlineKind.NEGOTIATION: N_("proposal.open_until_negotiation"),
    DeadlineKind.MEDIATION: N_("proposal.open_until_mediation"),
}


def paid_of(case: Case) -> tuple[Decimal, str]:
    claim = case.filed_claim
    return claim.amount, claim.currency


def other_party(case: Case, role: Role) -> int | None:
    return case.supplier_id if role is Role.BUYER else case.buyer_id


async def submit_proposal(
    services: Services,
    bot: Bot,
    case: Case,
    author_id: int,
    role: Role,
    proposal: Proposal,
    *,
    source: str = "party",
    clear_input: tuple[int, int] | None = None,
    author_note: Callable[[StoredProposal], OutboxMessage] | None = None,
) -> StoredProposal:
    """Record a proposal (superseding older ones) and show it to both parties. The supplier's
    counter-proposal to the claim is also their response (the case goes to negotiation), and
    `clear_input` the builder it came from: all of it one transaction, with its news and
    `author_note` (the author's "sent", which names the new proposal). The case's mediator's
    proposal (`role` MEDIATOR) is shown as one both parties must accept
    (`flows/mediator_proposal_news.py`). A party's, while a mediator's is open, is refused
    by the store (Conflict)."""
    now = services.clock.now()
    move = None
    if case.state is CaseState.AWAITING_SUPPLIER and role is Role.SUPPLIER:
        move = Move(
            Action.SUPPLIER_RESPOND,
            author_id,
            role,
            reason="supplier made a counter-proposal",
            payload={"response": "counter"},
            new_deadline=services.deadline(
                DeadlineKind.NEGOTIATION, now, filed_at=case.submitted_at
            ),
            expected_version=case.version,
        )
    if role is Role.MEDIATOR:  # for both parties, each of whom must accept it
        source = "mediator"
        show = await made_news(services, case)
    else:
        show = await proposal_news(services, case, role, starts=move.new_deadline if move else None)

    hint = await similar_hint(services, case)  # what similar cases ended with (issue 10)

    def news(made: StoredProposal) -> list[OutboxMessage]:
        note = [author_note(made)] if author_note is not None else []
        return [*show(made), *note, *hint(f"case:{case.id}:proposal:{made.number}")]

    stored = await services.db.proposals.create(
        case.id,
        author_id,
        role,
        proposal.to_dict(),
        now,
        source=source,
        news=news,
        move=move,
        clear_input=clear_input,
        before_commit=partial(crash_point, "proposal.in_transaction"),
    )
    log.info("proposal %s made by the %s", stored.number, role)
    await after_commit(services, bot, step="proposed")
    return stored


def decision_rows(stored: StoredProposal) -> Any:
    def rows(tr: Translator) -> list[list[Button]]:
        return [
            [
                (
                    tr.t("button.accept"),
                    encode(ProposalButton(stored.id, ProposalAction.ASK_ACCEPT)),
                ),
                (tr.t("button.reject"), encode(ProposalButton(stored.id, ProposalAction.REJECT))),
            ],
            [(tr.t("button.counter"), encode(ProposalButton(stored.id, ProposalAction.COUNTER)))],
        ]

    return rows


async def proposal_news(
    services: Services, case: Case, author_role: Role, *, starts: NewDeadline | None = None
) -> Callable[[StoredProposal], list[OutboxMessage]]:
    """The new proposal for the shared chat and the other party, with Accept / Reject /
    Counter; rendered inside the transaction that stores it (the buttons name it), from
    translators loaded here beforehand. `starts`: the deadline the same step starts (a
    counter-proposal to the claim opens negotiation)."""
    paid, currency = paid_of(case)
    # Until when it can be accepted, and what happens if nobody does: the stage's deadline.
    pending: list[NewDeadline | Deadline] = [starts] if starts is not None else []
    pending += await services.db.deadlines.pending_for_case(case.id)
    until = next((d for d in pending if d.kind in OPEN_UNTIL_KEYS), None)
    other = other_party(case, author_role)
    audience = await readers(services, case, private_to=[other] if other is not None else [])

    def render_all(stored: StoredProposal) -> list[OutboxMessage]:
        proposal = Proposal.from_dict(stored.terms)

        def render(tr: Translator) -> str:
            made = tr.t(
                "proposal.made",
                number=proposal_number(stored.number),
                case=case_number(case),
                author=role_name(tr, author_role),
                terms=terms_text(proposal, tr, paid, currency),
                other=role_name(tr, Role.SUPPLIER if author_role is Role.BUYER else Role.BUYER),
            )
            if until is None:
                return made
            due = tr.t(OPEN_UNTIL_KEYS[until.kind], due=tr.datetime(until.due_at))
            return f"{made}\n\n{due}"

        key = f"case:{case.id}:proposal:{stored.id}"
        return audience.render(render, decision_rows(stored), key=key)

    return render_all
