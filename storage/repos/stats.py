"""Operator statistics and what similar cases ended with, computed in SQL on both databases.

Nothing here loads every case: each figure is one aggregate query (GROUP BY, COUNT, AVG), and
the percentiles use one portable approach on SQLite and PostgreSQL alike: count the values,
then read the one or two values around the rank with ORDER BY ... LIMIT 2 OFFSET k and
interpolate between them as PostgreSQL's percentile_cont does (so both databases give the
same figure for the same data, and the tests can hold them to it).

Where each fact lives:
- state and category: `cases.state`, `cases.category` (filed cases: `cases.number` set);
- how a case ended (`OUTCOME`): a `decide` transition in `history_events` (by decision), an
  accepted proposal with `proposals.source` "blind_bid" (blind bidding), "mediator" or a
  `mediation_settle` transition (mediation), any other accepted proposal (agreement), then
  `cases.closed_reason` (withdrawn, or another ending);
- time to resolution: `cases.closed_at - cases.submitted_at` of closed cases that ended;
- the supplier's response: `deadlines` of kind supplier_response that fired (missed), or met
  with the supplier's own answer in the history (in time);
- deadlines missed: `deadlines.status = 'fired'`;
- refunds: the `refund` obligations of a case (`obligations.amount`, Decimal text) over the
  amount paid (`cases.claim` "amount", the field of `flows/rules/claim.py: Claim`);
- ratings: the `ratings` table (storage/repos/ratings.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from flows.rules.claim import Claim
from storage.repos.base import Repo
from storage.tables import cases, deadlines, history_events, obligations, proposals, ratings

__all__ = [
    "AMOUNT_BANDS",
    "ENDED_REASONS",
    "OUTCOMES",
    "Figures",
    "Similar",
    "StatsRepo",
    "amount_band",
]

# How a case ended, in the order the statistics show them.
OUTCOMES = ("agreement", "blind_bidding", "mediation", "decision", "withdrawn", "other")
# Closed reasons of a case that was really disputed; an abandoned draft and a claim whose
# supplier was never invited say nothing about how disputes end.
ENDED_REASONS = ("fulfilled", "unfulfilled", "withdrawn", "dismissed", "unresolved")
# The supplier's answers to a claim (history transitions by the supplier).
SUPPLIER_ANSWERS = ("supplier_respond", "supplier_accept", "request_mediation")
# Amount bands for "similar cases" (in the claim's currency): [lower, upper) edges.
AMOUNT_BANDS: tuple[tuple[Decimal, Decimal | None], ...] = (
    (Decimal(0), Decimal(100)),
    (Decimal(100), Decimal(500)),
    (Decimal(500), Decimal(2000)),
    (Decimal(2000), Decimal(10000)),
    (Decimal(10000), None),
)


def amount_band(amount: Decimal) -> tuple[Decimal, Decimal | None]:
    """The band an amount paid falls in."""
    for lower, upper in AMOUNT_BANDS:
        if upper is None or amount < upper:
            return lower, upper
    raise AssertionError("the last band is open")  # pragma: no cover


@dataclass(frozen=True)
class Figures:
    """Everything `disputebot stats` and /stats show; counts are ints, shares 0..1."""

    filed: int
    by_state: dict[str, int]
    by_category: dict[str, int]
    by_state_and_category: dict[tuple[str, str], int]
    ended: int
    outcomes: dict[str, int]
    outcomes_by_category: dict[str, dict[str, int]]
    resolution_median_seconds: float | None
    resolution_p90_seconds: float | None
    supplier_in_time: int
    supplier_late: int
    deadlines_missed: int
    missed_by_kind: dict[str, int]
    ratings_asked: int
    ratings_given: int
    rating_average: float | None
    rating_counts: dict[int, int] = field(default_factory=dict)
    comments: int = 0

    def share(self, outcome: str) -> float:
        """The share of ended cases that ended this way (0 when none ended)."""
        return self.outcomes.get(outcome, 0) / self.ended if self.ended else 0.0

    @property
    def supplier_response_rate(self) -> float | None:
        answered = self.supplier_in_time + self.supplier_late
        return self.supplier_in_time / answered if answered else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (`disputebot stats --json`)."""
        return {
            "filed": self.filed,
            "by_state": self.by_state,
            "by_category": self.by_category,
            "by_state_and_category": [
                {"state": s, "category": c, "cases": n}
                for (s, c), n in sorted(self.by_state_and_category.items())
            ],
            "ended": self.ended,
            "outcomes": {o: self.outcomes.get(o, 0) for o in OUTCOMES},
            "outcome_shares": {o: round(self.share(o), 4) for o in OUTCOMES},
            "outcomes_by_category": self.outcomes_by_category,
            "resolution_seconds": {
                "median": self.resolution_median_seconds,
                "p90": self.resolution_p90_seconds,
            },
            "supplier_response": {
                "in_time": self.supplier_in_time,
                "deadline_missed": self.supplier_late,
                "rate": self.supplier_response_rate,
            },
            "deadlines_missed": {"total": self.deadlines_missed, "by_kind": self.missed_by_kind},
            "ratings": {
                "asked": self.ratings_asked,
                "given": self.ratings_given,
                "average": self.rating_average,
                "by_score": {str(k): v for k, v in sorted(self.rating_counts.items())},
                "comments": self.comments,
            },
        }


@dataclass(frozen=True)
class Similar:
    """Closed cases like one case: how many, how each way they ended, the refunds' shares."""

    cases: int
    outcomes: dict[str, int]
    median_refund_share: float | None  # of the amount paid, 0..1


def _claim_field(name: str) -> ColumnElement[Any]:
    """A field of the stored claim (`Claim.record()` in the JSON column) as text, named as the
    model names it."""
    if name not in Claim.model_fields:
        raise KeyError(f"the claim has no field {name!r}")
    field: ColumnElement[Any] = cases.c.claim[name].as_string()
    return field


def _paid() -> ColumnElement[Any]:
    """The amount paid, from the claim (Decimal text in JSON), as a number."""
    return cast(_claim_field("amount"), Float)


def _transition(case_id: Any, action: str) -> ColumnElement[bool]:
    return exists().where(
        history_events.c.case_id == case_id,
        history_events.c.kind == "case.transition",
        history_events.c.payload["action"].as_string() == action,
    )


def _accepted(case_id: Any, *sources: str) -> ColumnElement[bool]:
    where = [proposals.c.case_id == case_id, proposals.c.status == "accepted"]
    if sources:
        where.append(proposals.c.source.in_(sources))
    return exists().where(*where)


def outcome_of(case_id: Any = cases.c.id) -> ColumnElement[Any]:
    """How a case ended, as SQL: one of OUTCOMES, or NULL while it has not ended.

    A decision outranks the settlement it may have followed (a disputed settlement can go on
    to a decision); a settlement reached in mediation counts as mediation, also when the
    parties' own proposal was accepted there.
    """
    ended = or_(  # COALESCE: NOT (NULL IN ...) is NULL, which CASE would pass over
        cases.c.state.in_(("settled", "decided")),
        func.coalesce(cases.c.closed_reason, "").in_(ENDED_REASONS),
    )
    return case(
        (~ended, None),
        (_transition(case_id, "decide"), literal("decision")),
        (_accepted(case_id, "blind_bid"), literal("blind_bidding")),
        (
            or_(_accepted(case_id, "mediator"), _transition(case_id, "mediation_settle")),
            literal("mediation"),
        ),
        (_accepted(case_id), literal("agreement")),
        (cases.c.closed_reason == "withdrawn", literal("withdrawn")),
        else_=literal("other"),
    )


def _refund_share() -> ColumnElement[Any]:
    """A case's refunds over its amount paid, capped at 1 (0 where nothing was refunded)."""
    refunded = (
        select(func.coalesce(func.sum(cast(obligations.c.amount, Float)), 0.0))
        .where(obligations.c.case_id == cases.c.id, obligations.c.kind == "refund")
        .scalar_subquery()
    )
    paid = _paid()
    share = case((paid > 0, refunded / paid), else_=0.0)
    return case((share > 1.0, 1.0), else_=share)


def _seconds(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


async def percentiles(
    conn: AsyncConnection, values: Select[Any], points: tuple[float, ...]
) -> list[float | None]:
    """Continuous percentiles (as percentile_cont) of a one-column select, on both databases:
    a COUNT, then per point the two values around its rank (ORDER BY, LIMIT 2, OFFSET)."""
    sub = values.subquery()
    column = sub.c[0]
    total = int(await conn.scalar(select(func.count()).select_from(sub)) or 0)
    if total == 0:
        return [None for _ in points]
    found: list[float | None] = []
    for point in points:
        rank = point * (total - 1)
        lower = math.floor(rank)
        rows = (
            await conn.execute(select(column).order_by(column).limit(2).offset(lower))
        ).scalars()
        pair = [float(v) for v in rows]
        if len(pair) == 1 or rank == lower:
            found.append(pair[0])
        else:
            found.append(pair[0] + (pair[1] - pair[0]) * (rank - lower))
    return found


class StatsRepo(Repo):
    """Read-only aggregates for operators and for the similar-cases hint."""

    async def figures(self) -> Figures:
        async with self._read() as conn:
            return await _figures(conn, self._engine.dialect.name)

    async def similar(
        self, category: str, currency: str, paid: Decimal, *, exclude_case_id: int | None = None
    ) -> Similar:
        """Closed cases of `category` whose amount paid (in `currency`) is in `paid`'s band."""
        lower, upper = amount_band(paid)
        where = [
            cases.c.number.is_not(None),
            cases.c.state == "closed",
            cases.c.closed_reason.in_(ENDED_REASONS),
            cases.c.category == category,
            _claim_field("currency") == currency,
            _paid() >= float(lower),
        ]
        if upper is not None:
            where.append(_paid() < float(upper))
        if exclude_case_id is not None:
            where.append(cases.c.id != exclude_case_id)
        async with self._read() as conn:
            await no_jit(conn)
            per_case = select(outcome_of().label("outcome"), _refund_share().label("share")).where(
                *where
            )
            sub = per_case.subquery()
            rows = await conn.execute(select(sub.c.outcome, func.count()).group_by(sub.c.outcome))
            outcomes = {str(o): int(n) for o, n in rows if o is not None}
            total = sum(outcomes.values())
            shares = select(sub.c.share).where(sub.c.outcome.is_not(None))
            (median,) = await percentiles(conn, shares, (0.5,))
        return Similar(cases=total, outcomes=outcomes, median_refund_share=median)


async def no_jit(conn: AsyncConnection) -> None:
    """PostgreSQL's JIT costs more than these short aggregates take: on tables not analysed
    yet it compiled for 1.7 s a query that runs in 0.2 s. Off for this read transaction."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SET LOCAL jit = off"))


async def _figures(conn: AsyncConnection, dialect: str) -> Figures:
    await no_jit(conn)
    filed = cases.c.number.is_not(None)
    category = func.coalesce(cases.c.category, "other")
    by_state_and_category: dict[tuple[str, str], int] = {}
    rows = await conn.execute(
        select(cases.c.state, category, func.count()).where(filed).group_by(cases.c.state, category)
    )
    for state, cat, n in rows:
        by_state_and_category[(str(state), str(cat))] = int(n)
    by_state: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for (state, cat), n in by_state_and_category.items():
        by_state[state] = by_state.get(state, 0) + n
        by_category[cat] = by_category.get(cat, 0) + n

    per_case = select(category.label("category"), outcome_of().label("outcome")).where(filed)
    sub = per_case.subquery()
    outcomes: dict[str, int] = {}
    outcomes_by_category: dict[str, dict[str, int]] = {}
    rows = await conn.execute(
        select(sub.c.category, sub.c.outcome, func.count())
        .where(sub.c.outcome.is_not(None))
        .group_by(sub.c.category, sub.c.outcome)
    )
    for cat, outcome, n in rows:
        outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + int(n)
        outcomes_by_category.setdefault(str(cat), {})[str(outcome)] = int(n)

    durations = select(
        _seconds(dialect, cases.c.submitted_at, cases.c.closed_at).label("seconds")
    ).where(
        filed,
        cases.c.closed_reason.in_(ENDED_REASONS),
        cases.c.closed_at.is_not(None),
        cases.c.submitted_at.is_not(None),
    )
    median, p90 = await percentiles(conn, durations, (0.5, 0.9))

    # In time: the deadline met by the supplier's own answer (a deadline is "met" too when the
    # buyer withdrew meanwhile: that is no answer, and counts neither way). Missed: it fired.
    answered = exists().where(
        history_events.c.case_id == deadlines.c.case_id,
        history_events.c.kind == "case.transition",
        history_events.c.actor_role == "supplier",
        history_events.c.payload["action"].as_string().in_(SUPPLIER_ANSWERS),
    )
    status = case((deadlines.c.status == "fired", "fired"), else_="met")
    supplier: dict[str, int] = dict(
        (
            await conn.execute(
                select(status, func.count())
                .where(
                    deadlines.c.kind == "supplier_response",
                    or_(deadlines.c.status == "fired", and_(deadlines.c.status == "met", answered)),
                )
                .group_by(status)
            )
        ).all()
    )
    missed_by_kind = {
        str(kind): int(n)
        for kind, n in await conn.execute(
            select(deadlines.c.kind, func.count())
            .where(deadlines.c.status == "fired")
            .group_by(deadlines.c.kind)
        )
    }

    asked, given, average, comments = (
        await conn.execute(
            select(
                func.count(),
                func.count(ratings.c.score),
                func.avg(ratings.c.score),
                func.count(ratings.c.comment),
            )
        )
    ).one()
    rating_counts = {
        int(score): int(n)
        for score, n in await conn.execute(
            select(ratings.c.score, func.count())
            .where(ratings.c.score.is_not(None))
            .group_by(ratings.c.score)
        )
    }
    return Figures(
        filed=sum(by_state.values()),
        by_state=by_state,
        by_category=by_category,
        by_state_and_category=by_state_and_category,
        ended=sum(outcomes.values()),
        outcomes=outcomes,
        outcomes_by_category=outcomes_by_category,
        resolution_median_seconds=median,
        resolution_p90_seconds=p90,
        supplier_in_time=int(supplier.get("met", 0)),
        supplier_late=int(supplier.get("fired", 0)),
        deadlines_missed=sum(missed_by_kind.values()),
        missed_by_kind=missed_by_kind,
        ratings_asked=int(asked),
        ratings_given=int(given),
        rating_average=float(average) if average is not None else None,
        rating_counts=rating_counts,
        comments=int(comments),
    )
