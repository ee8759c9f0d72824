"""The mediators' pool: where each escalated case was posted in the staff chat, and which
cases wait for a mediator (`/queue`, posts owed).

Taking a case is the guarded transition `Action.ASSIGN_MEDIATOR` (`CaseRepo.transition`): a
compare-and-set on the case's version with the rule "no mediator yet", so of two mediators
pressing Take at once exactly one gets it, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update

from flows.rules.lifecycle import CaseState
from storage.records import Case
from storage.repos.base import Repo, dialect_insert
from storage.rows import case_from_row
from storage.tables import cases, pool_posts

__all__ = ["PoolPost", "PoolRepo"]


@dataclass(frozen=True)
class PoolPost:
    case_id: int
    chat_id: int
    thread_id: int | None
    message_id: int | None
    posted_at: datetime | None
    case_version: int | None


def _untaken() -> ColumnElement[bool]:
    # In arbitration without a mediator: a reconsideration waiting for a different mediator.
    waiting = (CaseState.MEDIATION.value, CaseState.ARBITRATION.value)
    return and_(cases.c.state.in_(waiting), cases.c.mediator_id.is_(None))


class PoolRepo(Repo):
    async def untaken(self, limit: int = 50) -> builtins.list[Case]:
        """Cases in mediation (or reconsidered) that no mediator has, oldest first."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(cases).where(_untaken()).order_by(cases.c.updated_at).limit(limit)
            )
            return [case_from_row(row) for row in rows.mappings()]

    async def owed(self, limit: int = 20) -> builtins.list[Case]:
        """Untaken cases with no standing post in the staff chat."""
        joined = cases.outerjoin(pool_posts, pool_posts.c.case_id == cases.c.id)
        async with self._read() as conn:
            rows = await conn.execute(
                select(cases)
                .select_from(joined)
                .where(
                    _untaken(),
                    or_(
                        pool_posts.c.message_id.is_(None),
                        pool_posts.c.case_version < cases.c.version,
                    ),
                )
                .order_by(cases.c.id)
                .limit(limit)
            )
            return [case_from_row(row) for row in rows.mappings()]

    async def post_of(self, case_id: int) -> PoolPost | None:
        async with self._read() as conn:
            row = (
                (await conn.execute(select(pool_posts).where(pool_posts.c.case_id == case_id)))
                .mappings()
                .first()
            )
        return None if row is None else PoolPost(**dict(row))

    async def record(
        self,
        case: Case,
        chat_id: int,
        thread_id: int | None,
        message_id: int,
        now: datetime,
    ) -> bool:
        """Record the case's new post (made at `case.version`); False when another worker's
        post for that version stands already."""
        case_id = case.id
        async with self._write(ledger=False) as conn:
            current = (
                (await conn.execute(select(pool_posts).where(pool_posts.c.case_id == case_id)))
                .mappings()
                .first()
            )
            if current is None:
                await conn.execute(
                    dialect_insert(conn, pool_posts).values(
                        case_id=case_id,
                        chat_id=chat_id,
                        thread_id=thread_id,
                        message_id=message_id,
                        posted_at=now,
                        case_version=case.version,
                    )
                )
                return True
            result = await conn.execute(
                update(pool_posts)
                .where(
                    and_(
                        pool_posts.c.case_id == case_id,
                        or_(
                            pool_posts.c.message_id.is_(None),
                            pool_posts.c.case_version < case.version,
                        ),
                    )
                )
                .values(
                    chat_id=chat_id,
                    thread_id=thread_id,
                    message_id=message_id,
                    posted_at=now,
                    case_version=case.version,
                )
            )
            return result.rowcount == 1

    async def claim_topic(self, case_id: int, chat_id: int, thread_id: int) -> int:
        """Keep the forum topic made for the case before its first post is recorded, unless
        another worker's topic for it was kept first: the topic that stands is returned (the
        caller removes its own when it lost), so a case never has two topics."""
        async with self._write(ledger=False) as conn:
            exists = await conn.scalar(
                select(pool_posts.c.case_id).where(pool_posts.c.case_id == case_id)
            )
            if exists is None:
                await conn.execute(
                    dialect_insert(conn, pool_posts)
                    .values(case_id=case_id, chat_id=chat_id)
                    .on_conflict_do_nothing(index_elements=[pool_posts.c.case_id])
                )
            await conn.execute(
                update(pool_posts)
                .where(and_(pool_posts.c.case_id == case_id, pool_posts.c.thread_id.is_(None)))
                .values(chat_id=chat_id, thread_id=thread_id)
            )
            kept = await conn.scalar(
                select(pool_posts.c.thread_id).where(pool_posts.c.case_id == case_id)
            )
        assert kept is not None
        return int(kept)
