"""What a mediator is given on taking a case: a private context card, then a one-time link
into the case's dispute chat. Everything is rendered in the mediator's own language.

The card shows the claim, the state before escalation and why, both sides' statements, the
evidence index, every proposal and its fate, the blind bidding's outcome (only that it took
place and how it ended: the figures are never shown, to the mediator neither), the
obligations and their status, and each party's history with the service.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from telegram import Bot

from flows import chat_links, decision_text
from flows.audience import to_user
from flows.claim_render import CLOSED_KEYS, case_number, render_summary
from flows.evidence_index import index_lines
from flows.mediator_panel import send_panel
from flows.proposal_render import obligation_text, proposal_number, role_name, terms_text
from flows.rules.lifecycle import Action, CaseState, Role
from flows.services import Services
from locales.i18n import N_, Translator
from storage import Case, EvidenceRequest, HistoryEvent
from storage.records import BlindBidding, Obligation, Proposal

log = logging.getLogger(__name__)

# Why a case came to mediation, by the transition that brought it there.
WHY_KEYS = {
    "supplier_silent": N_("pool.why.supplier_silent"),
    "negotiation_ran_out": N_("pool.why.negotiation_ran_out"),
    "requested": N_("pool.why.requested"),
    "obligation_disputed": N_("pool.why.obligation_disputed"),
    "unfulfilled": N_("pool.why.unfulfilled"),
    "handed_back": N_("pool.why.handed_back"),
}
PROPOSAL_FATE_KEYS = {
    "open": N_("card.proposal.open"),
    "superseded": N_("card.proposal.superseded"),
    "accepted": N_("card.proposal.accepted"),
    "rejected": N_("card.proposal.rejected"),
    "withdrawn": N_("card.proposal.withdrawn"),
}
OBLIGATION_STATUS_KEYS = {
    "pending": N_("card.obligation.pending"),
    "done": N_("card.obligation.done"),
    "confirmed": N_("card.obligation.confirmed"),
    "disputed": N_("card.obligation.disputed"),
    "cancelled": N_("card.obligation.cancelled"),
}
# A settlement's obligation cancelled because a mediator's decision replaced the settlement.
SETTLEMENT_CANCELLED_KEY = N_("card.obligation.cancelled_settlement")


def obligation_status_key(status: str, by_decision: bool) -> str:
    """The catalog key of an obligation's status; `by_decision`: a decision stated it (else
    the settlement did, and its cancellation was the decision replacing the settlement)."""
    if status == "cancelled" and not by_decision:
        return SETTLEMENT_CANCELLED_KEY
    return OBLIGATION_STATUS_KEYS.get(status, OBLIGATION_STATUS_KEYS["pending"])


# As flows/cases.py shows them (that module sits above this one: importing it would be a cycle).
STATE_KEYS = {
    CaseState.AWAITING_SUPPLIER: N_("state.awaiting_supplier"),
    CaseState.NEGOTIATION: N_("state.negotiation"),
    CaseState.MEDIATION: N_("state.mediation"),
    CaseState.SETTLED: N_("state.settled"),
}
BIDDING_KEYS = {
    "offered": N_("card.bidding.offered"),
    "active": N_("card.bidding.active"),
    "settled": N_("card.bidding.settled"),
    "exhausted": N_("card.bidding.exhausted"),
    "declined": N_("card.bidding.declined"),
}


def escalation_of(events: list[HistoryEvent]) -> tuple[str, HistoryEvent | None]:
    """Why the case is in mediation now (a `WHY_KEYS` key) and the event that moved it."""
    for event in reversed(events):
        if event.kind != "case.transition":
            continue
        action, source = event.payload.get("action"), event.payload.get("from")
        if action == Action.RELEASE_MEDIATOR:
            return "handed_back", event
        if event.payload.get("to") != CaseState.MEDIATION or source == CaseState.MEDIATION:
            continue
        if action == Action.ESCALATE:
            silent = source == CaseState.AWAITING_SUPPLIER
            return ("supplier_silent" if silent else "negotiation_ran_out"), event
        if action == Action.REQUEST_MEDIATION:
            return "requested", event
        if action == Action.DISPUTE_FULFILMENT:
            return "obligation_disputed", event
        return "unfulfilled", event
    return "requested", None


def reconsideration_request(case: Case, events: list[HistoryEvent]) -> HistoryEvent | None:
    """The party's request (RECONSIDER) that brought the case back to the pool, while it is
    a reconsideration in arbitration; None for a case escalated to mediation."""
    if case.state is not CaseState.ARBITRATION or case.reconsiderations == 0:
        return None
    return next(
        (e for e in reversed(events) if e.payload.get("action") == Action.RECONSIDER.value), None
    )


async def reconsideration_of(services: Services, case: Case) -> Any:
    """For a reconsideration waiting in the pool, its post's "why" line (which decision, asked
    by whom, why); None for an escalated case."""
    if case.state is not CaseState.ARBITRATION:
        return None
    decision = await services.db.decisions.in_force(case.id)
    asked = reconsideration_request(case, await services.db.history.list(case.id))
    number = f"D{decision.number}" if decision is not None else "?"
    role = Role(asked.actor_role) if asked is not None else Role.BUYER
    reason = str(asked.payload.get("reason") or "") if asked is not None else ""
    return lambda tr: tr.t(
        "pool.why.reconsideration", decision=number, by=role_name(tr, role), reason=reason
    )


def reconsideration_why(tr: Translator, asked: HistoryEvent, decision: str) -> str:
    """The "why" of a reconsideration: which decision, asked by whom, why, and the new
    evidence the request came with."""
    return tr.t(
        "card.why.reconsideration",
        decision=decision,
        by=role_name(tr, asked.actor_role),
        reason=str(asked.payload.get("reason") or ""),
        evidence=", ".join(f"E{n}" for n in (asked.payload.get("evidence") or [])) or "—",
    )


def why_text(tr: Translator, events: list[HistoryEvent]) -> str:
    why, event = escalation_of(events)
    reason = ""
    if event is not None and why == "handed_back":
        reason = str(event.payload.get("reason") or "")
    by = role_name(tr, event.actor_role) if event is not None else ""
    source = event.payload.get("from") if event is not None else None
    before = tr.t(STATE_KEYS[CaseState(source)]) if source in STATE_KEYS else ""
    return tr.t(WHY_KEYS[why], by=by, reason=reason, state=before)


def _statements(tr: Translator, events: list[HistoryEvent]) -> list[str]:
    lines = []
    for event in events:
        statement = (
            event.payload.get("statement")
            if event.kind == "case.transition"
            else event.payload.get("text")
            if event.kind == "final_statement"  # the statements round's (flows/statements_round)
            else None
        )
        if statement:
            lines.append(
                tr.t("card.statement", by=role_name(tr, event.actor_role), text=str(statement))
            )
    return lines


def _proposals(tr: Translator, case: Case, proposals: list[Proposal]) -> list[str]:
    claim = case.filed_claim
    return [
        tr.t(
            PROPOSAL_FATE_KEYS.get(p.status, "card.proposal.open"),
            number=proposal_number(p.number),
            by=role_name(tr, p.author_role),
        )
        + "\n"
        + terms_text(p.rule(), tr, claim.amount, claim.currency)
        for p in proposals
    ]


def _obligations(tr: Translator, duties: list[Obligation]) -> list[str]:
    return [
        obligation_text(
            tr, o.number, o.party_role, o.kind, o.amount, o.currency, o.due_at, o.details
        )
        + " — "
        + tr.t(obligation_status_key(o.status, o.decision_id is not None))
        for o in duties
    ]


REQUEST_STATUS_KEYS = {
    "open": N_("card.request.open"),
    "met": N_("card.request.met"),
    "lapsed": N_("card.request.lapsed"),
}


def _requests(tr: Translator, requests: list[EvidenceRequest]) -> list[str]:
    """The mediator's requests for evidence: to whom, what, by when, and what came of them."""
    return [
        tr.t(
            "card.request",
            request=f"R{r.number}",
            party=role_name(tr, r.party_role),
            what=r.what,
            due=tr.datetime(r.due_at),
            status=tr.t(REQUEST_STATUS_KEYS.get(r.status, "card.request.open")),
            evidence=", ".join(f"E{n}" for n in r.answers) or "—",
        )
        for r in requests
    ]


def _bidding(tr: Translator, bidding: BlindBidding | None) -> str:
    if bidding is None:
        return tr.t("card.bidding.none")
    return tr.t(BIDDING_KEYS.get(bidding.status, "card.bidding.active"))


async def _history(services: Services, tr: Translator, user_id: int | None, role: Role) -> str:
    """A party's cases with the service: how many, and how the closed ones ended."""
    if user_id is None:
        return tr.t("card.history.unknown", party=role_name(tr, role))
    cases = [c for c in await services.db.cases.list_for_user(user_id) if c.submitted_at]
    ended = Counter(c.closed_reason for c in cases if c.closed_reason is not None)
    outcomes = ", ".join(
        tr.t("card.history.outcome", reason=tr.t(CLOSED_KEYS[reason]), count=count)
        for reason, count in sorted(ended.items())
    )
    return tr.tn(
        "card.history",
        "card.history.plural",
        len(cases),
        party=role_name(tr, role),
        outcomes=outcomes or tr.t("card.history.none_closed"),
    )


async def render_card(services: Services, case: Case, tr: Translator) -> str:
    """The context card, for one mediator (`tr`)."""
    db = services.db
    events = await db.history.list(case.id)
    evidence = await db.evidence.list(case.id)
    asked = reconsideration_request(case, events)
    in_force = await db.decisions.in_force(case.id) if asked is not None else None
    number = decision_text.decision_number(in_force.number) if in_force is not None else "?"
    why = (
        tr.t("card.why", why=why_text(tr, events))
        if asked is None  # a reconsideration did not come through mediation: its request
        else reconsideration_why(tr, asked, number)
    )
    parts: list[Any] = [
        tr.t("card.title", number=case_number(case)),
        render_summary(case.filed_claim, [], tr, Role.MEDIATOR, with_evidence=False),
        why,
        tr.t("card.statements_header"),
        *(_statements(tr, events) or [tr.t("card.none")]),
        tr.t("card.evidence_header"),
        *(index_lines(evidence, Role.MEDIATOR, tr) or [tr.t("card.none")]),
        tr.t("card.requests_header"),
        *(_requests(tr, await db.evidence_requests.list(case.id)) or [tr.t("card.none")]),
        tr.t("card.proposals_header"),
        *(_proposals(tr, case, await db.proposals.list(case.id)) or [tr.t("card.none")]),
        tr.t("card.bidding_header"),
        _bidding(tr, await db.bids.get(case.id)),
        tr.t("card.obligations_header"),
        *(_obligations(tr, await db.obligations.list(case.id)) or [tr.t("card.none")]),
        tr.t("card.history_header"),
        await _history(services, tr, case.buyer_id, Role.BUYER),
        await _history(services, tr, case.supplier_id, Role.SUPPLIER),
    ]
    return "\n".join(str(p) for p in parts)


async def brief_mediator(services: Services, bot: Bot, case: Case, mediator_id: int) -> None:
    """The card privately, then a one-time link into the dispute chat (or why there is none)."""
    tr = await services.translator_for_id(mediator_id)
    text = await render_card(services, case, tr)
    await to_user(services, bot, case, mediator_id, lambda _tr: text)
    outcome = await chat_links.issue(services, bot, case, mediator_id)
    if outcome is chat_links.Outcome.NO_CHAT:
        await to_user(
            services,
            bot,
            case,
            mediator_id,
            lambda t: t.t("card.no_chat", number=case_number(case)),
        )
    elif outcome is chat_links.Outcome.NO_RIGHT:
        await chat_links.report_no_right(services, bot, case, mediator_id)
    await services.db.history.append(
        case.id,
        mediator_id,
        Role.MEDIATOR,
        "mediator.briefed",
        {"link": outcome.value},
        services.clock.now(),
    )
    await send_panel(services, bot, case, mediator_id)


async def brief_reconsideration(services: Services, bot: Bot, case: Case, mediator_id: int) -> None:
    """For a reconsideration, after the card: the decision in force as the parties read it,
    with its reasons, and the request (who asked, why, with which new evidence), in the
    mediator's language; then how to confirm or replace it."""
    decision = await services.db.decisions.in_force(case.id)
    if decision is None:
        return
    events = await services.db.history.list(case.id)
    asked = next(
        (e for e in reversed(events) if e.payload.get("action") == Action.RECONSIDER.value), None
    )
    decided = await services.db.users.get(decision.mediator_id)
    name = decided.first_name if decided is not None else "?"
    duties = [
        o for o in await services.db.obligations.list(case.id) if o.decision_id == decision.id
    ]

    def render(tr: Translator) -> str:
        text = decision_text.announcement(
            tr,
            case,
            decision.number,
            name,
            decision.terms,
            decision.reasons,
            "\n".join(_obligations(tr, duties)),
            max((o.due_at for o in duties), default=decision.created_at),
            decision.created_at + services.lifecycle.reconsideration_window,
        )
        return tr.t(
            "reconsider.brief",
            number=case_number(case),
            decision=decision_text.decision_number(decision.number),
            text=text,
            by=role_name(tr, asked.actor_role) if asked is not None else "",
            reason=str(asked.payload.get("reason") or "") if asked is not None else "",
            evidence=", ".join(f"E{n}" for n in (asked.payload.get("evidence") or []))
            if asked is not None
            else "",
            filed=case.number or case.id,
        )

    await to_user(services, bot, case, mediator_id, render)
