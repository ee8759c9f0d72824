"""`Database`: one engine and the repositories on it, created at start-up, disposed at shutdown.

The bot creates one in `post_init` and hands it to flows through the application's context;
there is no module-level global.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from flows.rules.lifecycle import LifecyclePolicy
from storage.audit import AuditRepo
from storage.chat_locks import ChatLocks
from storage.engine import connect_engine
from storage.migrator import run_migrations
from storage.repos import (
    BidRepo,
    BlobRepo,
    ButtonRepo,
    CaseRepo,
    ChatLinkRepo,
    ChatRepo,
    DeadlineRepo,
    DraftRepo,
    EvidenceRepo,
    EvidenceRequestRepo,
    HistoryRepo,
    InputRepo,
    ObligationRepo,
    OutboxRepo,
    PoolRepo,
    ProposalRepo,
    SupplierRepo,
    SweepRepo,
    TokenRepo,
    UpdateRepo,
    UserRepo,
)
from storage.repos.decisions import DecisionRepo
from storage.repos.mediator_proposals import MediatorProposalRepo
from storage.repos.ratings import RatingRepo
from storage.repos.stats import StatsRepo
from storage.witness import WitnessRepo

__all__ = ["Database"]


class Database:
    """The storage entry point: `await Database.connect(url)`, then `db.cases.transition(...)`."""

    def __init__(
        self, engine: AsyncEngine, lifecycle_policy: LifecyclePolicy | None = None
    ) -> None:
        self.engine = engine
        self.users = UserRepo(engine)
        self.cases = CaseRepo(engine, lifecycle_policy)
        self.drafts = DraftRepo(engine)
        self.evidence = EvidenceRepo(engine)
        self.deadlines = DeadlineRepo(engine)
        self.history = HistoryRepo(engine)
        self.tokens = TokenRepo(engine)
        self.chats = ChatRepo(engine)
        self.chat_links = ChatLinkRepo(engine)
        self.suppliers = SupplierRepo(engine)
        self.inputs = InputRepo(engine)
        self.proposals = ProposalRepo(engine, lifecycle_policy)
        # a mediator's proposal: both parties' acceptances (flows/mediator_proposal.py)
        self.mediator_proposals = MediatorProposalRepo(engine, lifecycle_policy)
        self.obligations = ObligationRepo(engine, lifecycle_policy)
        self.decisions = DecisionRepo(engine, lifecycle_policy)
        self.bids = BidRepo(engine)
        self.updates = UpdateRepo(engine)
        self.outbox = OutboxRepo(engine)
        self.buttons = ButtonRepo(engine)
        self.blobs = BlobRepo(engine)
        self.sweep = SweepRepo(engine, lifecycle_policy)
        self.pool = PoolRepo(engine)
        self.evidence_requests = EvidenceRequestRepo(engine)
        self.stats = StatsRepo(engine)  # operator statistics, similar cases (read only)
        self.ratings = RatingRepo(engine)  # the parties' ratings after closing
        self.witnessed = WitnessRepo(engine)  # heads posted at milestones (storage/witness.py)
        self.audit = AuditRepo(engine)  # what `disputebot verify` checks (storage/audit.py)
        self.chat_locks = ChatLocks(engine)  # one chat's updates one at a time, all workers

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        migrate: bool = True,
        lifecycle_policy: LifecyclePolicy | None = None,
    ) -> Database:
        """Open the database at `url` (sqlite:// or postgresql://, sync or async form).

        A SQLite file's parent directory is created. `DatabaseUnavailable` when the database
        cannot be reached or created. With `migrate`, the schema is brought up to date first.
        `lifecycle_policy` configures the transition guards' timing.
        """
        engine = await connect_engine(url)
        try:
            if migrate:
                await run_migrations(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, lifecycle_policy)

    @property
    def dialect(self) -> str:
        """The dialect name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    async def ping(self) -> bool:
        """Run a trivial query; returns True, or raises the driver's error."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.chat_locks.dispose()
        await self.engine.dispose()
