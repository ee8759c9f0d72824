"""How a mediator's proposal reads: made, accepted by one party, and its Accept / Reject.

Below `flows/proposal_submit.py` (which shows a new proposal of the mediator with `made_news`)
and `flows/case_actions.py` (which offers its buttons again with `case_rows`); the presses are
answered in `flows/mediator_proposal.py`. A mediator's proposal is for both parties: each gets
it privately with the buttons, the dispute chat in every participant's language; it says that
it comes from the mediator, that both must accept it, until when (the mediation deadline), and
that the case goes to arbitration if they do not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from flows.audience import RenderRows, parties, readers
from flows.callbacks import MediatorProposalAccept, MediatorProposalReject, encode
from flows.claim_render import case_number
from flows.common import Button
from flows.proposal_render import proposal_number, role_name, terms_text
from flows.rules.lifecycle import CaseState, DeadlineKind, Role
from flows.rules.proposals import Proposal
from flows.services import Services
from locales.i18n import Translator
from storage import Case, OutboxMessage
from storage import Proposal as StoredProposal

PARTY_ROLES = (Role.BUYER, Role.SUPPLIER)


def paid_of(case: Case) -> tuple[Decimal, str]:
    """What the buyer paid, and in which currency (as `proposal_submit.paid_of`, which is
    above this module)."""
    claim = case.filed_claim
    return claim.amount, claim.currency


def other_role(role: Role) -> Role:
    return Role.SUPPLIER if role is Role.BUYER else Role.BUYER


def answer_rows(proposal_id: int) -> RenderRows:
    """Accept / Reject of a mediator's proposal (no Counter: the parties answer it first)."""

    def rows(tr: Translator) -> list[list[Button]]:
        return [
            [
                (tr.t("button.accept"), encode(MediatorProposalAccept(proposal_id))),
                (tr.t("button.reject"), encode(MediatorProposalReject(proposal_id))),
            ]
        ]

    return rows


async def mediation_due(services: Services, case: Case) -> datetime | None:
    """When the mediation deadline passes (the proposal can be accepted until then)."""
    pending = await services.db.deadlines.pending_for_case(case.id)
    return next((d.due_at for d in pending if d.kind is DeadlineKind.MEDIATION), None)


def _until(tr: Translator, due: datetime | None) -> str:
    return "" if due is None else "\n\n" + tr.t("mproposal.open_until", due=tr.datetime(due))


async def made_news(
    services: Services, case: Case
) -> Callable[[StoredProposal], list[OutboxMessage]]:
    """The mediator's new proposal for the shared chat and both parties privately, with
    Accept / Reject; rendered in the transaction that stores it (the buttons name it)."""
    paid, currency = paid_of(case)
    due = await mediation_due(services, case)
    audience = await readers(services, case, private_to=parties(case))

    def render_all(stored: StoredProposal) -> list[OutboxMessage]:
        proposal = Proposal.from_dict(stored.terms)

        def render(tr: Translator) -> str:
            made = tr.t(
                "mproposal.made",
                number=proposal_number(stored.number),
                case=case_number(case),
                terms=terms_text(proposal, tr, paid, currency),
            )
            return made + _until(tr, due)

        key = f"case:{case.id}:proposal:{stored.id}"
        return audience.render(render, answer_rows(stored.id), key=key)

    return render_all


async def first_news(
    services: Services, case: Case, stored: StoredProposal, by: Role
) -> list[OutboxMessage]:
    """`by` accepted, the other party is awaited: said in the shared chat and to the mediator,
    and to the other party privately as a reminder with the buttons."""
    due = await mediation_due(services, case)
    number = proposal_number(stored.number)
    key = f"case:{case.id}:proposal:{stored.id}:accepted:{by}"

    def told(tr: Translator) -> str:
        text = tr.t(
            "mproposal.accepted_one",
            by=role_name(tr, by),
            number=number,
            case=case_number(case),
            other=role_name(tr, other_role(by)),
        )
        return text + _until(tr, due)

    def reminder(tr: Translator) -> str:
        text = tr.t(
            "mproposal.your_turn", by=role_name(tr, by), number=number, case=case_number(case)
        )
        return text + _until(tr, due)

    mediator = [case.mediator_id] if case.mediator_id is not None else []
    news = (await readers(services, case, private_to=mediator)).render(told, key=key)
    other = case.supplier_id if by is Role.BUYER else case.buyer_id
    if other is not None:
        # Only the private copy: the shared chat was told above, once.
        awaited = await readers(services, case, private_to=[other])
        news += [
            m
            for m in awaited.render(reminder, answer_rows(stored.id), key=f"{key}:reminder")
            if not m.shared
        ]
    return news


async def accepted_roles(services: Services, proposal_id: int) -> set[Role]:
    return {a.party_role for a in await services.db.mediator_proposals.acceptances(proposal_id)}


async def case_rows(
    services: Services, case: Case, role: Role, tr: Translator, stored: StoredProposal
) -> tuple[str, list[list[Button]]] | None:
    """The open mediator's proposal for /case: its terms and Accept / Reject, for a party who
    has not answered it yet, while the case is in mediation."""
    if case.state is not CaseState.MEDIATION or role not in PARTY_ROLES:
        return None
    if role in await accepted_roles(services, stored.id):
        return None
    paid, currency = paid_of(case)
    note = tr.t(
        "case.open_proposal",
        number=proposal_number(stored.number),
        author=role_name(tr, Role.MEDIATOR),
        terms=terms_text(Proposal.from_dict(stored.terms), tr, paid, currency),
    )
    return note, [list(row) for row in answer_rows(stored.id)(tr)]


async def answer_first(services: Services, case: Case, role: Role, tr: Translator) -> str | None:
    """Why a party cannot make a proposal now: the mediator's proposal waits for the answers
    (a rejection ends it; then the parties may propose again). None when nothing is in the way."""
    if role not in PARTY_ROLES:
        return None
    stored = await services.db.proposals.open_for_case(case.id)
    if stored is None or stored.author_role is not Role.MEDIATOR:
        return None
    return tr.t(
        "mproposal.answer_first", number=proposal_number(stored.number), case=case_number(case)
    )
