"""The case file, version 1: what `/casefile` and `disputebot export` write as JSON, and what
the PDF shows. One set of pydantic models; `docs/case-file.schema.json` is generated from them
(`python -m flows.case_file_schema`), never written by hand.

A case file is made for one reader (a party, the case's mediator, or an operator): items the
reader may not see (evidence for the mediator only, when the reader is a party) are left out,
and so are blind bids' figures (for everybody). The history's events are all there, since the
chain is checked event by event; an event whose details the reader may not see keeps its seq,
kind, time and hashes, and says `withheld`.

Evidence is metadata with its SHA-256, never the file's bytes. Times are UTC (ISO 8601 with
offset); the PDF shows them in the reader's time zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flows.rules.claim import Claim

__all__ = [
    "CASE_FILE_FORMAT",
    "CASE_FILE_VERSION",
    "BiddingEntry",
    "CaseFile",
    "CaseFileTooLarge",
    "CaseSummary",
    "DecisionEntry",
    "EventEntry",
    "EvidenceEntry",
    "EvidenceRequestEntry",
    "Head",
    "MediatorProposalEntry",
    "ObligationEntry",
    "Party",
    "ProposalEntry",
    "Reader",
]

CASE_FILE_FORMAT: Literal["disputebot-case-file"] = "disputebot-case-file"
CASE_FILE_VERSION: Literal[1] = 1

ReaderRole = Literal["buyer", "supplier", "mediator", "operator"]
PartyRole = Literal["buyer", "supplier", "mediator", "system"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reader(_Model):
    """Whom this copy was made for: what it shows follows from the role."""

    role: ReaderRole
    language: str = Field(description="the language of the headings: 'en' or 'zh_Hans'")
    time_zone: str = Field(description="IANA zone the PDF shows times in")


class Party(_Model):
    role: PartyRole
    name: str = Field(description="the name as Telegram gave it")
    username: str | None = None
    language: str | None = None


class CaseSummary(_Model):
    number: int = Field(description="the case number people quote (#12)")
    state: str = Field(description="the lifecycle state, e.g. 'closed', 'arbitration'")
    outcome: str | None = Field(
        default=None, description="why it closed ('settled', 'decided', ...); none while open"
    )
    category: str
    filed_at: datetime | None
    closed_at: datetime | None = None
    decided_at: datetime | None = None


class EventEntry(_Model):
    """One history event: the chain's link, and what happened."""

    seq: int = Field(ge=1)
    at: datetime
    kind: str = Field(description="e.g. 'case.submitted', 'proposal.accepted'")
    actor_role: PartyRole | Literal["stranger"]
    hash: str = Field(pattern="^[0-9a-f]{64}$")
    prev_hash: str = Field(pattern="^[0-9a-f]{64}$")
    withheld: bool = Field(
        default=False, description="its details are not for this reader (only the link is shown)"
    )
    details: dict[str, Any] = Field(
        default_factory=dict,
        description="the event's recorded facts, as far as this reader may see them",
    )


class EvidenceEntry(_Model):
    number: int = Field(ge=1, description="E<number>")
    kind: str = Field(description="photo, document, video, voice or statement")
    label: str
    tag: str
    submitter_role: PartyRole
    submitted_at: datetime
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = Field(default=None, description="bytes")
    sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")
    text: str | None = Field(default=None, description="a written statement's text")
    mediator_only: bool = False
    authenticity: str | None = Field(
        default=None, description="a chat screenshot: 'confirmed' or 'disputed' by the other side"
    )
    lateness: str | None = Field(
        default=None, description="after its request lapsed: 'late', 'accepted' or 'left_out'"
    )


class ProposalEntry(_Model):
    number: int = Field(ge=1, description="P<number>")
    author_role: PartyRole
    source: str = Field(description="'party', 'claim', 'bidding', ...")
    terms: dict[str, Any] = Field(description="the structured terms (flows.rules.proposals)")
    summary: str = Field(description="the terms in words, in the reader's language")
    status: str = Field(description="open, accepted, rejected, withdrawn or superseded")
    made_at: datetime
    decided_at: datetime | None = None


class BiddingEntry(_Model):
    """That blind bidding happened and how it ended; never a figure."""

    status: str = Field(description="offered, active, settled, exhausted or declined")
    offered_by_role: PartyRole
    rounds: int = Field(ge=0, description="rounds resolved")
    started_at: datetime
    ended_at: datetime | None = None


class EvidenceRequestEntry(_Model):
    number: int = Field(ge=1, description="R<number>")
    party_role: PartyRole
    what: str
    due_at: datetime
    status: str = Field(description="open, met or lapsed")
    answered_by: list[int] = Field(default_factory=list, description="E-numbers")
    made_at: datetime


class MediatorProposalEntry(_Model):
    number: int = Field(ge=1)
    terms: dict[str, Any]
    summary: str
    status: str
    made_at: datetime


class DecisionEntry(_Model):
    number: int = Field(ge=1, description="D<number>")
    outcome: Literal["terms", "dismissal"]
    terms: dict[str, Any] | None = None
    summary: str = Field(description="what was decided, in the reader's language")
    reasons: str = Field(description="the mediator's written reasons, as written")
    cited: list[int] = Field(default_factory=list, description="E-numbers the reasons cite")
    status: str = Field(description="in_force or replaced")
    issued_at: datetime
    replaces: int | None = Field(default=None, description="the D-number it replaced")


class ObligationEntry(_Model):
    number: int = Field(ge=1, description="O<number>")
    party_role: PartyRole
    kind: str
    summary: str = Field(description="who does what, in the reader's language")
    amount: Decimal | None = None
    currency: str | None = None
    due_at: datetime
    status: str = Field(description="pending, done, confirmed, disputed or cancelled")
    done_at: datetime | None = None
    proof_evidence: int | None = Field(default=None, description="the E-number that proves it")
    confirmed_at: datetime | None = None
    decision: int | None = Field(default=None, description="the D-number that ordered it")


class Head(_Model):
    """The chain's head: the last event's seq and hash."""

    seq: int = Field(ge=0)
    hash: str = Field(pattern="^[0-9a-f]{64}$")


class CaseFile(_Model):
    """Everything on the record of one case, for one reader."""

    format: Literal["disputebot-case-file"] = CASE_FILE_FORMAT
    version: Literal[1] = CASE_FILE_VERSION
    generated_at: datetime
    reader: Reader
    case: CaseSummary
    parties: list[Party]
    claim: Claim
    events: list[EventEntry]
    evidence: list[EvidenceEntry]
    proposals: list[ProposalEntry]
    blind_bidding: list[BiddingEntry]
    evidence_requests: list[EvidenceRequestEntry]
    mediator_proposals: list[MediatorProposalEntry]
    decisions: list[DecisionEntry]
    obligations: list[ObligationEntry]
    head: Head
    verify_command: str = Field(description="the command that checks this file")


class CaseFileTooLarge(ValueError):
    """Even without thumbnails the case file's PDF exceeds the limit it was asked to keep
    (`flows/case_file_pdf.py`; here so that catching it loads no PDF library)."""
