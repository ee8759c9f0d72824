"""Each party's rating of the process after a case closed: asked once, answered once.

A row per case and party (`ratings`, unique): `ask` writes it together with the question's
outbox row, so the question goes out once however many sweeps see the case; `rate` keeps the
first score only (a second press, a re-delivered update, another device change nothing), and
the comment is given or skipped once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists, select, update

from storage.repos.base import Repo, dialect_insert
from storage.repos.outbox import OutboxMessage, enqueue
from storage.repos.stats import ENDED_REASONS
from storage.tables import cases, ratings

__all__ = ["ASK_WITHIN", "RatingRepo", "RatingResult", "Unasked"]

# Cases closed longer ago than this are not asked any more (nor, after an upgrade, every case
# that ever closed).
ASK_WITHIN = timedelta(days=7)


class RatingResult(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # this party's score (or comment) is in already
    UNKNOWN = "unknown"  # never asked: not a party of a closed case


@dataclass(frozen=True)
class Unasked:
    """A party of a recently closed case who was not asked for a rating yet."""

    case_id: int
    party_role: str
    user_id: int


class RatingRepo(Repo):
    async def unasked(self, now: datetime, limit: int = 100) -> list[Unasked]:
        """The parties of cases that ended within ASK_WITHIN and were not asked yet."""
        found: list[Unasked] = []
        async with self._read() as conn:
            for role, column in (("buyer", cases.c.buyer_id), ("supplier", cases.c.supplier_id)):
                asked = exists().where(
                    ratings.c.case_id == cases.c.id, ratings.c.party_role == role
                )
                rows = await conn.execute(
                    select(cases.c.id, column)
                    .where(
                        cases.c.state == "closed",
                        cases.c.number.is_not(None),
                        cases.c.closed_reason.in_(ENDED_REASONS),
                        cases.c.closed_at >= now - ASK_WITHIN,
                        column.is_not(None),
                        ~asked,
                    )
                    # oldest closing first; in the order of the closed_at index (0019), which
                    # the planner then reads from the cut-off on, not every case in id order
                    .order_by(cases.c.closed_at, cases.c.id)
                    .limit(limit)
                )
                found.extend(Unasked(int(c), role, int(u)) for c, u in rows)
        return found

    async def ask(
        self,
        case_id: int,
        party_role: str,
        user_id: int,
        now: datetime,
        outbox: Sequence[OutboxMessage],
    ) -> bool:
        """Record that the party is asked and queue the question, together; False (and nothing
        queued) when they were asked already."""
        async with self._write(ledger=False) as conn:
            result = await conn.execute(
                dialect_insert(conn, ratings)
                .values(
                    case_id=case_id,
                    party_role=party_role,
                    user_id=user_id,
                    asked_at=now,
                    comment_done=False,
                )
                .on_conflict_do_nothing(index_elements=[ratings.c.case_id, ratings.c.party_role])
            )
            if result.rowcount == 0:
                return False
            await enqueue(conn, outbox, now)
            return True

    async def rate(
        self, case_id: int, user_id: int, score: int, now: datetime
    ) -> tuple[RatingResult, str | None]:
        """The party's score, the first one only; with the party's role."""
        if not 1 <= score <= 5:
            raise ValueError(f"a rating is 1 to 5, not {score}")
        async with self._write() as conn:
            role = await conn.scalar(
                select(ratings.c.party_role).where(
                    ratings.c.case_id == case_id, ratings.c.user_id == user_id
                )
            )
            if role is None:
                return RatingResult.UNKNOWN, None
            result = await conn.execute(
                update(ratings)
                .where(
                    ratings.c.case_id == case_id,
                    ratings.c.user_id == user_id,
                    ratings.c.score.is_(None),
                )
                .values(score=score, rated_at=now)
            )
            done = RatingResult.RECORDED if result.rowcount else RatingResult.ALREADY
            return done, str(role)

    async def comment(self, case_id: int, user_id: int, text: str | None) -> RatingResult:
        """The party's comment (None: skipped), once, after their score."""
        async with self._write() as conn:
            result = await conn.execute(
                update(ratings)
                .where(
                    ratings.c.case_id == case_id,
                    ratings.c.user_id == user_id,
                    ratings.c.score.is_not(None),
                    ratings.c.comment_done.is_(False),
                )
                .values(comment=text, comment_done=True)
            )
            if result.rowcount:
                return RatingResult.RECORDED
            known = await conn.scalar(
                select(ratings.c.id).where(
                    ratings.c.case_id == case_id, ratings.c.user_id == user_id
                )
            )
            return RatingResult.ALREADY if known is not None else RatingResult.UNKNOWN

    async def of_case(self, case_id: int) -> dict[str, tuple[int | None, str | None]]:
        """Each asked party's (score, comment), by role (for tests and the case file)."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(ratings.c.party_role, ratings.c.score, ratings.c.comment).where(
                    ratings.c.case_id == case_id
                )
            )
            return {str(r): (s, c) for r, s, c in rows}
