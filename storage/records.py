"""The records storage hands out: frozen dataclasses, every datetime timezone-aware UTC.

Records are plain values. They carry no database handle, so flows can pass them around and
render them without touching SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from flows.rules import proposals as rules
from flows.rules.claim import Claim
from flows.rules.lifecycle import CaseFacts, CaseState, ClosingReason, DeadlineKind, Role
from storage.access import ChatLink, ChatLinkStatus, InviteToken, RevokeReason

__all__ = [
    "BidRound",
    "BiddingStatus",
    "BlindBidding",
    "Case",
    "CaseChat",
    "ChatLink",
    "ChatLinkStatus",
    "ChatStatus",
    "Deadline",
    "DeadlineStatus",
    "Draft",
    "Evidence",
    "HistoryEvent",
    "InviteToken",
    "NewDeadline",
    "NewObligation",
    "Obligation",
    "ObligationStatus",
    "PendingInput",
    "Proposal",
    "ProposalStatus",
    "RevokeReason",
    "RoundStatus",
    "User",
    "VerifyResult",
]


class DeadlineStatus:
    """The values of `Deadline.status` (plain strings in the database)."""

    PENDING = "pending"  # running; may still fire or send reminders
    MET = "met"  # the step was done in time (closed by a transition)
    CANCELLED = "cancelled"  # no longer relevant (case withdrawn, closed, ...)
    FIRED = "fired"  # the due time passed and a worker claimed it

    ALL = frozenset({PENDING, MET, CANCELLED, FIRED})
    CLOSING = frozenset({MET, CANCELLED, FIRED})


@dataclass(frozen=True)
class User:
    """A Telegram user the bot has seen. `id` is the Telegram user id."""

    id: int
    first_name: str
    username: str | None
    telegram_language: str | None  # what Telegram reports for the client
    language: str | None  # the user's explicit choice; None until they choose
    timezone: str | None  # IANA name, e.g. "Asia/Shanghai"; None until known
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Case:
    """A dispute from the first draft to closing. `version` grows with every state change."""

    id: int
    buyer_id: int
    supplier_id: int | None
    state: CaseState
    previous_state: CaseState | None
    claim: Claim | None  # the claim as filed; None for a draft (its column holds {})
    category: str | None
    created_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    last_activity_at: datetime
    version: int
    mediator_id: int | None = None  # set when a mediator takes the case
    invited_at: datetime | None = None  # the buyer's first supplier invitation (the clock starts)
    closed_reason: ClosingReason | None = None  # why it is closed; None while open
    # The case number people see and quote, given when the claim is filed (in filing order);
    # None for a draft. `id` is internal (callback data, logs as case_id=) and never shown.
    number: int | None = None
    decided_at: datetime | None = None  # 0014: when the decision in force was issued
    reconsiderations: int = 0  # 0014: reconsideration requests accepted (at most one)

    @property
    def filed_claim(self) -> Claim:
        """The claim of a filed case; ValueError for a case without one (a draft)."""
        if self.claim is None:
            raise ValueError(f"case {self.id} has no filed claim")
        return self.claim

    @property
    def facts(self) -> CaseFacts:
        """What the lifecycle guards need to know about this case."""
        return CaseFacts(
            state=self.state,
            previous_state=self.previous_state,
            submitted_at=self.submitted_at,
            invited_at=self.invited_at,
            closed_at=self.closed_at,
            mediator_id=self.mediator_id,
            decided_at=self.decided_at,
            reconsiderations=self.reconsiderations,
        )


@dataclass(frozen=True)
class Draft:
    """The claim form's progress, so a restart mid-form loses nothing."""

    case_id: int
    user_id: int
    step: str
    answers: dict[str, Any]
    back_stack: list[str]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class Evidence:
    """One evidence item, numbered E1, E2, ... within its case."""

    id: int
    case_id: int
    number: int
    submitter_id: int
    submitter_role: Role
    kind: str  # "photo", "document", "video", "voice", "statement"
    label: str
    tag: str
    text: str | None  # the statement's text for kind "statement"
    telegram_file_id: str | None
    telegram_file_unique_id: str | None
    file_name: str | None
    mime_type: str | None
    size: int | None
    sha256: str | None  # set once the file is stored
    store_key: str | None  # its key in the evidence store (the SHA-256), once stored
    mediator_only: bool
    created_at: datetime
    stored_at: datetime | None
    removed_at: datetime | None = None  # removed while still a draft item; hidden from lists
    authenticity: str | None = None  # a chat screenshot: "confirmed" / "disputed" by the other side
    authenticity_by: int | None = None
    authenticity_at: datetime | None = None
    authenticity_reason: str | None = None  # why it is disputed, when the party said
    # Came after its request lapsed: "late", then "accepted" / "left_out" by the mediator.
    lateness: str | None = None


@dataclass(frozen=True)
class EvidenceRequest:
    """The mediator asked a party for evidence by a date: R1, R2, ... within its case."""

    id: int
    case_id: int
    number: int
    mediator_id: int
    party_role: Role
    what: str
    due_at: datetime
    deadline_id: int | None
    status: str  # "open", "met" (evidence came in time), "lapsed" (the deadline passed)
    answers: list[int]  # the numbers of the evidence items that answered it
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class NewDeadline:
    """A deadline to start, e.g. as part of a transition."""

    kind: DeadlineKind
    started_at: datetime
    due_at: datetime
    reminder_times: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class Deadline:
    """A deadline row: when a step is due and when reminders go out."""

    id: int
    case_id: int
    kind: DeadlineKind
    started_at: datetime
    due_at: datetime
    status: str  # see DeadlineStatus
    next_reminder_at: datetime | None
    reminders_sent: int
    reminder_times: list[datetime]
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class HistoryEvent:
    """One entry of a case's append-only, hash-chained history."""

    id: int
    case_id: int
    seq: int
    actor_id: int | None
    actor_role: Role
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking a case's hash chain."""

    ok: bool
    count: int
    first_bad_seq: int | None


class ChatStatus:
    """The values of `CaseChat.status`."""

    BOUND = "bound"  # the bot is in the group and it is the case's shared chat
    LEFT = "left"  # the bot left or was removed; the case may bind a chat again

    ALL = frozenset({BOUND, LEFT})


@dataclass(frozen=True)
class CaseChat:
    """The case's shared dispute chat (a Telegram group): one per case, one case per chat."""

    case_id: int
    chat_id: int
    status: str  # see ChatStatus
    can_record: bool  # the bot sees every message there (admin, or privacy mode off)
    bound_by: int
    bound_at: datetime
    title: str | None
    updated_at: datetime
    former_chat_id: int | None = None  # the basic group it was before Telegram upgraded it


@dataclass(frozen=True)
class PendingInput:
    """One user's unfinished multi-step input in one chat (outside the claim form)."""

    user_id: int
    chat_id: int
    kind: str  # e.g. "proposal", "evidence_label", "blind_bid", "fulfilment_proof"
    case_id: int
    step: str
    data: dict[str, Any]
    version: int
    updated_at: datetime


class ProposalStatus:
    """The values of `Proposal.status`."""

    OPEN = "open"  # waiting for the other side; at most one per case
    SUPERSEDED = "superseded"  # a newer proposal replaced it
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # its author took it back

    ALL = frozenset({OPEN, SUPERSEDED, ACCEPTED, REJECTED, WITHDRAWN})


@dataclass(frozen=True)
class Proposal:
    """A structured settlement proposal, numbered P1, P2, ... within its case."""

    id: int
    case_id: int
    number: int
    author_id: int
    author_role: Role
    terms: dict[str, Any]  # flows.rules.proposals.Proposal.to_dict()
    status: str  # see ProposalStatus
    source: str  # "party", "mediator", "claim", ...
    created_at: datetime
    decided_at: datetime | None
    decided_by: int | None
    superseded_by: int | None  # the id of the proposal that replaced it

    def rule(self) -> rules.Proposal:
        """The terms as the case rules' `Proposal` (for arithmetic and rendering)."""
        return rules.Proposal.from_dict(self.terms)


@dataclass(frozen=True)
class NewObligation:
    """An obligation to record, e.g. as part of accepting a proposal."""

    party_role: Role
    kind: str  # flows.rules.proposals.ObligationKind value
    amount: Decimal | None
    currency: str | None
    due_at: datetime
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_rule(cls, obligation: rules.Obligation, currency: str) -> NewObligation:
        """The case rules' obligation; `currency` is kept only where there is an amount."""
        return cls(
            party_role=obligation.party,
            kind=obligation.kind.value,
            amount=obligation.amount,
            currency=None if obligation.amount is None else currency,
            due_at=obligation.due,
            details=dict(obligation.details),
        )


class ObligationStatus:
    """The values of `Obligation.status`."""

    PENDING = "pending"  # not done yet
    DONE = "done"  # the obliged party says it is done
    CONFIRMED = "confirmed"  # the other party confirmed it
    DISPUTED = "disputed"  # the other party says it is not done (it may be marked done again)
    # 0014: a decision's obligation not yet confirmed when a reconsideration replaced it
    CANCELLED = "cancelled"

    ALL = frozenset({PENDING, DONE, CONFIRMED, DISPUTED, CANCELLED})


@dataclass(frozen=True)
class Obligation:
    """Who does what by when after a settlement or decision; numbered 1, 2, ... per case."""

    id: int
    case_id: int
    proposal_id: int | None
    number: int
    party_role: Role
    kind: str
    amount: Decimal | None
    currency: str | None
    due_at: datetime
    details: dict[str, Any]
    status: str  # see ObligationStatus
    done_at: datetime | None
    done_by: int | None
    proof_evidence_number: int | None  # E<n> of the case that proves it
    confirmed_at: datetime | None
    confirmed_by: int | None
    created_at: datetime
    disputed_at: datetime | None = None
    disputed_by: int | None = None
    dispute_reason: str | None = None
    decision_id: int | None = None  # 0014: the mediator's decision that states it


class BiddingStatus:
    """The values of `BlindBidding.status`."""

    OFFERED = "offered"  # one party offered it; waiting for the other to opt in
    ACTIVE = "active"  # both opted in: rounds are running
    SETTLED = "settled"  # a round (or an accepted midpoint) settled the case
    EXHAUSTED = "exhausted"  # every round was used without a settlement
    DECLINED = "declined"  # a party said no; either may offer again

    ALL = frozenset({OFFERED, ACTIVE, SETTLED, EXHAUSTED, DECLINED})


class RoundStatus:
    """The values of `BidRound.status`."""

    COLLECTING = "collecting"  # waiting for the figures
    SETTLED = "settled"  # the figures overlapped: settled at the midpoint
    OFFER_MIDPOINT = "offer_midpoint"  # close: both are asked about the midpoint
    NO_OVERLAP = "no_overlap"  # too far apart: nothing revealed
    MIDPOINT_ACCEPTED = "midpoint_accepted"
    MIDPOINT_DECLINED = "midpoint_declined"

    ALL = frozenset(
        {COLLECTING, SETTLED, OFFER_MIDPOINT, NO_OVERLAP, MIDPOINT_ACCEPTED, MIDPOINT_DECLINED}
    )
    RESULTS = frozenset({SETTLED, OFFER_MIDPOINT, NO_OVERLAP})  # what matching may decide
    FINISHED = frozenset({NO_OVERLAP, MIDPOINT_DECLINED})  # over without a settlement


@dataclass(frozen=True)
class BlindBidding:
    """A case's blind bidding (PRODUCT.md): who offered it, who opted in, rounds used."""

    case_id: int
    status: str  # see BiddingStatus
    offered_by_role: Role
    buyer_opted_in: bool
    supplier_opted_in: bool
    rounds_done: int  # rounds resolved so far
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BidRound:
    """One round of blind bidding. It never carries the figures, only whether each is in."""

    case_id: int
    round_no: int
    status: str  # see RoundStatus
    midpoint: Decimal | None  # only once matching revealed it (settled or offered)
    buyer_midpoint_answer: bool | None
    supplier_midpoint_answer: bool | None
    created_at: datetime
    resolved_at: datetime | None
    buyer_bid_in: bool = False
    supplier_bid_in: bool = False

    def waiting_for(self) -> frozenset[Role]:
        """The parties whose figure is still missing in this round."""
        missing = {Role.BUYER} if not self.buyer_bid_in else set()
        if not self.supplier_bid_in:
            missing.add(Role.SUPPLIER)
        return frozenset(missing)


class DecisionStatus:
    """The values of `Decision.status`."""

    IN_FORCE = "in_force"
    REPLACED = "replaced"  # by a reconsideration's decision


@dataclass(frozen=True)
class Decision:
    """A mediator's binding decision, D1, D2, ... per case (0014)."""

    id: int
    case_id: int
    number: int
    mediator_id: int
    outcome: str  # "terms" or "dismissal"
    terms: dict[str, Any] | None  # flows.rules.proposals.Proposal.to_dict() for "terms"
    reasons: str
    cited: list[int]  # evidence numbers the reasons cite
    no_evidence: bool  # the reasons say why no evidence applies
    created_at: datetime
    replaces: int | None  # the id of the decision it replaced
    status: str  # see DecisionStatus
