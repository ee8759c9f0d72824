"""Repositories: one class per aggregate, named methods, each call its own transaction."""

from storage.repos.bids import BidRepo
from storage.repos.blobs import BlobRepo, LegacyFile
from storage.repos.buttons import ButtonRepo
from storage.repos.cases import CaseRepo
from storage.repos.chat_links import ChatLinkRepo
from storage.repos.chats import ChatRepo
from storage.repos.deadlines import DeadlineRepo
from storage.repos.drafts import DraftRepo
from storage.repos.evidence import EvidenceRepo
from storage.repos.evidence_requests import EvidenceRequestRepo
from storage.repos.history import HistoryRepo
from storage.repos.inputs import InputRepo
from storage.repos.obligations import ObligationRepo
from storage.repos.outbox import OutboxMessage, OutboxRepo, OutboxRow
from storage.repos.pool import PoolRepo
from storage.repos.proposals import ProposalRepo
from storage.repos.suppliers import SupplierRepo
from storage.repos.sweep import SweepRepo
from storage.repos.tokens import TokenRepo
from storage.repos.updates import UpdateRepo
from storage.repos.users import UserRepo

__all__ = [
    "BidRepo",
    "BlobRepo",
    "ButtonRepo",
    "CaseRepo",
    "ChatLinkRepo",
    "ChatRepo",
    "DeadlineRepo",
    "DraftRepo",
    "EvidenceRepo",
    "EvidenceRequestRepo",
    "HistoryRepo",
    "InputRepo",
    "LegacyFile",
    "ObligationRepo",
    "OutboxMessage",
    "OutboxRepo",
    "OutboxRow",
    "PoolRepo",
    "ProposalRepo",
    "SupplierRepo",
    "SweepRepo",
    "TokenRepo",
    "UpdateRepo",
    "UserRepo",
]
