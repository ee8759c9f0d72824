"""Repositories: one class per aggregate, named methods, each call its own transaction."""

from storage.repos.cases import CaseRepo
from storage.repos.deadlines import DeadlineRepo
from storage.repos.drafts import DraftRepo
from storage.repos.evidence import EvidenceRepo
from storage.repos.history import HistoryRepo
from storage.repos.tokens import TokenRepo
from storage.repos.users import UserRepo

__all__ = [
    "CaseRepo",
    "DeadlineRepo",
    "DraftRepo",
    "EvidenceRepo",
    "HistoryRepo",
    "TokenRepo",
    "UserRepo",
]
