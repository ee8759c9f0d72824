"""The case file of one case for one reader, built from the database (`flows/case_file_model.py`).

`build_case_file(db, store, case, role, tr, now)` reads the case's record (its users, history,
evidence, proposals, blind bidding, evidence requests, decisions and obligations) and returns
the `CaseFile` for a reader in `role` (buyer, supplier, the case's mediator or an operator),
with every summary in words in that reader's language (`tr`), and the bytes of the small photos
it shows as thumbnails in the PDF.

What a reader may not see is left out here, in one place:
- evidence for the mediator only (`mediator_only`) is in the mediator's and the operator's
  copy alone. For a party nothing of it is anywhere: not in the index, not among the answers to
  a request, not as a proof; each history event about it keeps its link in the chain (seq,
  kind, time, hashes) and says `withheld`, its details dropped. Which items are such is read
  from the chain itself ("evidence.added" says `mediator_only`) as well as from the table, so
  an item removed from a draft is covered too;
- blind bids' figures are for nobody: a bidding event's details keep only what says that a
  round happened and how it ended (its number, status, who acted), never an amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.case_file_model import (
    BiddingEntry,
    CaseFile,
    CaseSummary,
    DecisionEntry,
    EventEntry,
    EvidenceEntry,
    EvidenceRequestEntry,
    Head,
    MediatorProposalEntry,
    ObligationEntry,
    Party,
    ProposalEntry,
    Reader,
    ReaderRole,
)
from flows.decision_text import outcome_text
from flows.evidence_store import EvidenceStore, key_of
from flows.proposal_render import obligation_text, terms_text
from flows.proposal_submit import paid_of
from flows.rules.lifecycle import Role
from locales.i18n import Translator
from storage import (
    GENESIS_HASH,
    BiddingStatus,
    Case,
    Database,
    Decision,
    Evidence,
    HistoryEvent,
    Obligation,
    Proposal,
)

__all__ = [
    "BIDDING_DETAILS",
    "THUMBNAIL_MAX_BYTES",
    "BuiltCaseFile",
    "build_case_file",
    "case_file_json_bytes",
    "sees_mediator_only",
    "verify_command",
]

# A photo larger than this is listed with its hash but not drawn as a thumbnail.
THUMBNAIL_MAX_BYTES = 2 * 1024 * 1024
# What a blind-bidding event's details may keep: never a figure (a bid, a midpoint).
BIDDING_DETAILS = frozenset({"round_no", "status", "bidding", "role", "accept"})
# The events whose "number" is an evidence item's E-number, and those whose "evidence" is.
_NUMBER_IS_EVIDENCE = frozenset(
    {
        "evidence.added",
        "evidence.stored",
        "evidence.removed",
        "evidence.confirmed",
        "evidence.disputed",
        "evidence.dispute_reason",
    }
)
_ENDED = frozenset({BiddingStatus.SETTLED, BiddingStatus.EXHAUSTED, BiddingStatus.DECLINED})


@dataclass(frozen=True)
class BuiltCaseFile:
    """The case file and the photos' bytes for its thumbnails (by E-number)."""

    case_file: CaseFile
    thumbnails: dict[int, bytes]


def case_file_json_bytes(case_file: CaseFile) -> bytes:
    """The case file as the JSON people keep (UTF-8, indented, Chinese as itself)."""
    return (case_file.model_dump_json(indent=2) + "\n").encode("utf-8")


def sees_mediator_only(role: ReaderRole) -> bool:
    """Evidence for the mediator only is in the mediator's and the operator's copy alone."""
    return role in ("mediator", "operator")


def verify_command(number: int) -> str:
    """The command that checks the JSON case file of case `number` against the database."""
    return f"disputebot verify case-{number}.json"


def _hidden_numbers(events: Sequence[HistoryEvent], items: Sequence[Evidence]) -> set[int]:
    """The E-numbers of every item for the mediator only, from the chain and the table."""
    hidden = {item.number for item in items if item.mediator_only}
    for event in events:
        if event.kind == "evidence.added" and event.payload.get("mediator_only"):
            number = event.payload.get("number")
            if isinstance(number, int):
                hidden.add(number)
    return hidden


def _about_hidden(event: HistoryEvent, hidden: set[int]) -> bool:
    payload = event.payload
    if event.kind in _NUMBER_IS_EVIDENCE:
        return payload.get("number") in hidden
    if payload.get("evidence") in hidden:  # an answer to a request, a late item judged
        return True
    return payload.get("proof_evidence") in hidden


def _details(event: HistoryEvent) -> dict[str, Any]:
    if event.kind.startswith("bids."):
        return {k: v for k, v in event.payload.items() if k in BIDDING_DETAILS}
    return dict(event.payload)


def _event(event: HistoryEvent, hidden: set[int]) -> EventEntry:
    withheld = _about_hidden(event, hidden)
    return EventEntry(
        seq=event.seq,
        at=event.created_at,
        kind=event.kind,
        actor_role=event.actor_role.value,
        hash=event.hash,
        prev_hash=event.prev_hash,
        withheld=withheld,
        details={} if withheld else _details(event),
    )


def _evidence(item: Evidence) -> EvidenceEntry:
    return EvidenceEntry(
        number=item.number,
        kind=item.kind,
        label=item.label,
        tag=item.tag,
        submitter_role=item.submitter_role.value,
        submitted_at=item.created_at,
        file_name=item.file_name,
        mime_type=item.mime_type,
        size=item.size,
        sha256=item.sha256,
        text=item.text,
        mediator_only=item.mediator_only,
        authenticity=item.authenticity,
        lateness=item.lateness,
    )


def _proposal(proposal: Proposal, case: Case, tr: Translator) -> ProposalEntry:
    paid, currency = paid_of(case)
    return ProposalEntry(
        number=proposal.number,
        author_role=proposal.author_role.value,
        source=proposal.source,
        terms=proposal.terms,
        summary=terms_text(proposal.rule(), tr, paid, currency),
        status=proposal.status,
        made_at=proposal.created_at,
        decided_at=proposal.decided_at,
    )


def _mediator_proposal(proposal: Proposal, case: Case, tr: Translator) -> MediatorProposalEntry:
    paid, currency = paid_of(case)
    return MediatorProposalEntry(
        number=proposal.number,
        terms=proposal.terms,
        summary=terms_text(proposal.rule(), tr, paid, currency),
        status=proposal.status,
        made_at=proposal.created_at,
    )


def _decision(
    decision: Decision, case: Case, tr: Translator, numbers: dict[int, int]
) -> DecisionEntry:
    return DecisionEntry(
        number=decision.number,
        outcome="terms" if decision.outcome == "terms" else "dismissal",
        terms=decision.terms,
        summary=outcome_text(tr, case, decision.terms),
        reasons=decision.reasons,
        cited=list(decision.cited),
        status=decision.status,
        issued_at=decision.created_at,
        replaces=None if decision.replaces is None else numbers.get(decision.replaces),
    )


def _obligation(
    duty: Obligation, tr: Translator, decisions: dict[int, int], hidden: set[int]
) -> ObligationEntry:
    proof = duty.proof_evidence_number
    return ObligationEntry(
        number=duty.number,
        party_role=duty.party_role.value,
        kind=duty.kind,
        summary=obligation_text(
            tr,
            duty.number,
            duty.party_role,
            duty.kind,
            duty.amount,
            duty.currency,
            duty.due_at,
            duty.details,
        ),
        amount=duty.amount,
        currency=duty.currency,
        due_at=duty.due_at,
        status=duty.status,
        done_at=duty.done_at,
        proof_evidence=None if proof in hidden else proof,
        confirmed_at=duty.confirmed_at,
        decision=None if duty.decision_id is None else decisions.get(duty.decision_id),
    )


async def _parties(db: Database, case: Case) -> list[Party]:
    found: list[Party] = []
    for role, user_id in (
        (Role.BUYER, case.buyer_id),
        (Role.SUPPLIER, case.supplier_id),
        (Role.MEDIATOR, case.mediator_id),
    ):
        user = await db.users.get(user_id) if user_id is not None else None
        if user is not None:
            language = user.language or user.telegram_language
            found.append(
                Party(
                    role=role.value, name=user.first_name, username=user.username, language=language
                )
            )
    return found


async def _bidding(db: Database, case: Case) -> list[BiddingEntry]:
    bidding = await db.bids.get(case.id)
    if bidding is None:
        return []
    ended = bidding.updated_at if bidding.status in _ENDED else None
    return [
        BiddingEntry(
            status=bidding.status,
            offered_by_role=bidding.offered_by_role.value,
            rounds=bidding.rounds_done,
            started_at=bidding.created_at,
            ended_at=ended,
        )
    ]


async def _thumbnails(
    store: EvidenceStore | None, items: Sequence[Evidence], limit: int
) -> dict[int, bytes]:
    """The stored photos' bytes, small ones only, each checked against its SHA-256."""
    found: dict[int, bytes] = {}
    if store is None or limit <= 0:
        return found
    for item in items:
        if item.kind != "photo" or item.store_key is None or item.sha256 is None:
            continue
        if item.size is None or item.size > limit:
            continue
        data = await store.get(item.store_key)
        if data is not None and key_of(data) == item.sha256:
            found[item.number] = data
    return found


async def build_case_file(
    db: Database,
    store: EvidenceStore | None,
    case: Case,
    role: ReaderRole,
    tr: Translator,
    now: datetime,
    *,
    thumbnail_max_bytes: int = THUMBNAIL_MAX_BYTES,
) -> BuiltCaseFile:
    """The case file of a filed `case` for a reader in `role`, in `tr`'s language and zone."""
    if case.number is None:
        raise ValueError(f"case {case.id} is a draft: it has no case file")
    events = await db.history.list(case.id)
    all_items = await db.evidence.list(case.id)
    hidden = set() if sees_mediator_only(role) else _hidden_numbers(events, all_items)
    items = [item for item in all_items if item.number not in hidden]
    proposals = await db.proposals.list(case.id)
    decisions = await db.decisions.list(case.id)
    decision_numbers = {d.id: d.number for d in decisions}
    claim = case.filed_claim
    case_file = CaseFile(
        generated_at=now,
        reader=Reader(role=role, language=tr.language, time_zone=tr.tz.key),
        case=CaseSummary(
            number=case.number,
            state=case.state.value,
            outcome=None if case.closed_reason is None else case.closed_reason.value,
            category=case.category or claim.category.value,
            filed_at=case.submitted_at,
            closed_at=case.closed_at,
            decided_at=case.decided_at,
        ),
        parties=await _parties(db, case),
        claim=claim,
        events=[_event(event, hidden) for event in events],
        evidence=[_evidence(item) for item in items],
        proposals=[_proposal(p, case, tr) for p in proposals if p.author_role is not Role.MEDIATOR],
        blind_bidding=await _bidding(db, case),
        evidence_requests=[
            EvidenceRequestEntry(
                number=request.number,
                party_role=request.party_role.value,
                what=request.what,
                due_at=request.due_at,
                status=request.status,
                answered_by=[n for n in request.answers if n not in hidden],
                made_at=request.created_at,
            )
            for request in await db.evidence_requests.list(case.id)
        ],
        mediator_proposals=[
            _mediator_proposal(p, case, tr) for p in proposals if p.author_role is Role.MEDIATOR
        ],
        decisions=[_decision(d, case, tr, decision_numbers) for d in decisions],
        obligations=[
            _obligation(duty, tr, decision_numbers, hidden)
            for duty in await db.obligations.list(case.id)
        ],
        head=Head(seq=len(events), hash=events[-1].hash if events else GENESIS_HASH),
        verify_command=verify_command(case.number),
    )
    return BuiltCaseFile(case_file, await _thumbnails(store, items, thumbnail_max_bytes))
