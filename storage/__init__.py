"""Storage: the only code that speaks SQL (SQLAlchemy Core, async; SQLite or PostgreSQL).

    db = await Database.connect("sqlite:///data/bot.db")
    case, draft = await db.cases.create_draft(buyer_id, now, due, reminders)
    case = await db.cases.transition(case.id, Action.SUBMIT, buyer_id, Role.BUYER, now, ...)
    chat = await db.chats.bind(case.id, group_chat_id, buyer_id, now)
    proposal, case, obligations = await db.proposals.accept(proposal.id, supplier_id, ...)

Nothing here knows about Telegram. Records are frozen dataclasses with aware UTC datetimes.
"""

from storage.database import Database
from storage.errors import (
    ConcurrentUpdate,
    Conflict,
    DatabaseUnavailable,
    DuplicateEvidence,
    IllegalTransition,
    NotFound,
    StorageError,
    TokenInvalid,
)
from storage.hashing import GENESIS_HASH, canonical_json, event_hash
from storage.ledger import HandledUpdate, UpdateAlreadyHandled, current_update, handling
from storage.migrator import migrate
from storage.records import (
    BiddingStatus,
    BidRound,
    BlindBidding,
    Case,
    CaseChat,
    ChatLink,
    ChatLinkStatus,
    ChatStatus,
    Deadline,
    DeadlineStatus,
    Decision,
    DecisionStatus,
    Draft,
    Evidence,
    EvidenceRequest,
    HistoryEvent,
    InviteToken,
    NewDeadline,
    NewObligation,
    Obligation,
    ObligationStatus,
    PendingInput,
    Proposal,
    ProposalStatus,
    RevokeReason,
    RoundStatus,
    User,
    VerifyResult,
)
from storage.repos.cases import role_in
from storage.repos.outbox import OutboxMessage, OutboxRow
from storage.repos.transitions import Move
from storage.urls import display_url, to_async_url

__all__ = [
    "GENESIS_HASH",
    "BidRound",
    "BiddingStatus",
    "BlindBidding",
    "Case",
    "CaseChat",
    "ChatLink",
    "ChatLinkStatus",
    "ChatStatus",
    "ConcurrentUpdate",
    "Conflict",
    "Database",
    "DatabaseUnavailable",
    "Deadline",
    "DeadlineStatus",
    "Decision",
    "DecisionStatus",
    "Draft",
    "DuplicateEvidence",
    "Evidence",
    "EvidenceRequest",
    "HandledUpdate",
    "HistoryEvent",
    "IllegalTransition",
    "InviteToken",
    "Move",
    "NewDeadline",
    "NewObligation",
    "NotFound",
    "Obligation",
    "ObligationStatus",
    "OutboxMessage",
    "OutboxRow",
    "PendingInput",
    "Proposal",
    "ProposalStatus",
    "RevokeReason",
    "RoundStatus",
    "StorageError",
    "TokenInvalid",
    "UpdateAlreadyHandled",
    "User",
    "VerifyResult",
    "canonical_json",
    "current_update",
    "display_url",
    "event_hash",
    "handling",
    "migrate",
    "role_in",
    "to_async_url",
]
