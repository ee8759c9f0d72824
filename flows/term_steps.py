"""The typed steps that build a proposal's terms, shared by the proposal builder
(flows/proposal_builder.py, the parties' and the mediator's) and the mediator's decision
(flows/decision_builder.py).

The terms being built live in a pending input's data (`data["terms"]`, a Proposal's dict);
each typed answer is read by `term_answer`, which returns the data with the answer in it and the
step that follows ("menu" once a term is complete), or raises ValidationError with the reason,
nothing changed: a refund above the amount paid, a ship-by date in the past, a bad number.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flows.proposal_submit import paid_of
from flows.rules import validation as v
from flows.rules.proposals import (
    OTHER_MAX_LEN,
    Other,
    PartialRefund,
    PartialReturn,
    Party,
    Proposal,
    Replacement,
    Term,
)
from flows.rules.term_input import is_percent, parse_discount, parse_percent
from flows.rules.validation import ValidationError
from flows.services import Services
from locales.i18n import Translator
from storage import Case


def terms_of(data: dict[str, Any]) -> Proposal:
    """The terms built so far."""
    return Proposal.from_dict({"version": 1, "terms": data.get("terms", [])})


def with_term(
    data: dict[str, Any], term: Term, case: Case, services: Services, tr: Translator
) -> dict[str, Any]:
    """`data` with `term` added, if the terms stay valid (else ValidationError)."""
    proposal = Proposal((*terms_of(data).terms, term))
    paid, currency = paid_of(case)
    proposal.validate(paid, currency, services.clock.now(), tz=tr.tz)
    return {**data, "terms": proposal.to_dict()["terms"]}


def partial_refund(text: str, paid: Decimal, currency: str) -> PartialRefund:
    """A typed refund: a percentage of what was paid, or an amount of at most that."""
    if is_percent(text):
        return PartialRefund(percent=parse_percent(text))
    amount = v.parse_amount(text, currency)
    if amount > paid:  # said to either party: the amount the buyer paid, not "you paid"
        raise ValidationError("proposal.refund_exceeds_paid", paid=paid, currency=currency)
    return PartialRefund(amount=amount)


def partial_return(part: dict[str, Any], party: Party) -> PartialReturn:
    """The partial return being built (`data["preturn"]`), with who pays its freight."""
    amount, percent = part.get("amount"), part.get("percent")
    return PartialReturn(
        str(part["items"]),
        party,
        None if amount is None else Decimal(str(amount)),
        None if percent is None else Decimal(str(percent)),
    )


def future_date(text: str, services: Services, tr: Translator) -> date:
    """A ship-by date: today or later in the reader's zone (typed like every other date)."""
    far = services.clock.now() + timedelta(days=3650)
    day = v.parse_date(text, far, tr.tz)
    if day < services.clock.now().astimezone(tr.tz).date():
        raise ValidationError("proposal.ship_by_past")
    return day


TERM_STEPS = frozenset(
    {
        "partial",
        "preturn_items",
        "preturn_refund",
        "replacement_qty",
        "replacement_date",
        "discount",
        "other",
    }
)


def term_answer(
    step: str, text: str, data: dict[str, Any], case: Case, services: Services, tr: Translator
) -> tuple[dict[str, Any], str]:
    """The data after the answer `text` to the term step `step`, and the next step."""
    paid, currency = paid_of(case)
    data = dict(data)
    if step == "partial":
        return with_term(data, partial_refund(text, paid, currency), case, services, tr), "menu"
    if step == "preturn_items":
        data["preturn"] = {"items": v.parse_text(text, max_len=OTHER_MAX_LEN)}
        return data, "preturn_refund"
    if step == "preturn_refund":
        refund = partial_refund(text, paid, currency)
        part = {**data["preturn"], "amount": refund.amount, "percent": refund.percent}
        with_term(data, partial_return(part, "supplier"), case, services, tr)  # before freight
        data["preturn"] = {
            key: None if value is None else str(value) for key, value in part.items()
        }
        return data, "freight"
    if step == "replacement_qty":
        data["quantity"] = v.parse_quantity(text)
        return data, "replacement_date"
    if step == "replacement_date":
        # The date the proposer means, in their zone: due at the end of that day there.
        day = future_date(text, services, tr)
        term = Replacement(int(data.pop("quantity")), day, tr.tz.key)
        return with_term(data, term, case, services, tr), "menu"
    if step == "discount":
        return with_term(data, parse_discount(text, currency, paid), case, services, tr), "menu"
    if step == "other":
        return with_term(data, Other(v.parse_text(text, max_len=2000)), case, services, tr), "menu"
    raise ValueError(f"not a term step: {step}")
