"""The text of a mediator's decision: its number, its outcome, the announcement both parties
read (and the mediator previews), and the obligations it will state. No sending here: the
context card and the decision flow both render from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flows.claim_render import case_number
from flows.proposal_render import obligation_number, obligation_text, terms_text
from flows.proposal_submit import paid_of
from flows.rules.lifecycle import DeadlineKind
from flows.rules.proposals import Proposal, obligations
from flows.services import Services
from locales.i18n import Translator
from storage import Case, Obligation


def decision_number(number: int) -> str:
    return f"D{number}"


def outcome_text(tr: Translator, case: Case, terms: dict[str, Any] | None) -> str:
    """The outcome as the reader reads it: the terms, or that the claim is dismissed."""
    if terms is None:
        return tr.t("decision.outcome_dismissal")
    paid, currency = paid_of(case)
    return terms_text(Proposal.from_dict(terms), tr, paid, currency)


def duty_lines(tr: Translator, duties: list[Obligation]) -> str:
    return "\n".join(
        obligation_text(
            tr, o.number, o.party_role, o.kind, o.amount, o.currency, o.due_at, o.details
        )
        for o in duties
    )


def obligation_numbers(numbers: Sequence[int]) -> str:
    """ "O1, O2": obligations named in a sentence."""
    return ", ".join(obligation_number(n) for n in numbers)


def settlement_replaced(tr: Translator, numbers: Sequence[int]) -> str:
    """The sentence telling the parties the decision cancelled the settlement's open
    obligations `numbers` (empty when it cancelled none)."""
    if not numbers:
        return ""
    return tr.tn(
        "decision.settlement_replaced",
        "decision.settlement_replaced.plural",
        len(numbers),
        obligations=obligation_numbers(numbers),
    )


def announcement(
    tr: Translator,
    case: Case,
    number: int,
    mediator: str,
    terms: dict[str, Any] | None,
    reasons: str,
    duties: str,
    due: datetime,
    until: datetime,
    replaced: Sequence[int] = (),
) -> str:
    """What each party reads (and the mediator previews): binding, the outcome, the reasons,
    who owes what by when, and how to ask for reconsideration until when; and, when the
    decision cancels the settlement's open obligations `replaced`, a sentence saying so."""
    params: dict[str, object] = {
        "number": decision_number(number),
        "case": case_number(case),
        "name": mediator,
        "outcome": outcome_text(tr, case, terms),
        "reasons": reasons,
        "until": tr.datetime(until),
        "filed": case.number or case.id,
    }
    if terms is None:
        text = tr.t("decision.announced_dismissal", **params)
    else:
        text = tr.t("decision.announced", obligations=duties, due=tr.datetime(due), **params)
    note = settlement_replaced(tr, replaced)
    return f"{text}\n\n{note}" if note else text


def fulfilment_days(services: Services, days: int | None = None) -> int:
    """The decision's time to fulfil: the mediator's `days`, else FULFILMENT_DAYS."""
    return days if days is not None else int(services.settings.fulfilment_days)


def planned_duties(
    services: Services, case: Case, terms: dict[str, Any] | None, days: int | None = None
) -> list[Any]:
    """The obligations the terms state, due `days` after the decision (the mediator's choice;
    FULFILMENT_DAYS by default, as a settlement's)."""
    if terms is None:
        return []
    paid, currency = paid_of(case)
    now = services.clock.now()
    span = fulfilment_days(services, days)
    return list(obligations(Proposal.from_dict(terms), paid, currency, now, span))


def preview_duties(tr: Translator, case: Case, duties: list[Any], first: int = 1) -> str:
    """The obligations as the parties will read them, numbered as they will be (from `first`:
    a case's obligations are numbered on from the settlement's)."""
    _, currency = paid_of(case)
    return "\n".join(
        obligation_text(
            tr,
            i,
            d.party,
            d.kind.value,
            d.amount,
            None if d.amount is None else currency,
            d.due,
            dict(d.details),
        )
        for i, d in enumerate(duties, start=first)
    )


def fulfilment_due(services: Services, duties: list[Any], days: int | None = None) -> datetime:
    """The decision's fulfilment deadline: `days` from now (the policy's FULFILMENT period by
    default), or the last obligation's due time when that is later."""
    now = services.clock.now()
    base = (
        services.policy.due_at(DeadlineKind.FULFILMENT, now)
        if days is None
        else now + timedelta(days=days)
    )
    due: datetime = max([base, *(d.due for d in duties)])
    return due
