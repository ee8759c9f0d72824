"""The operators' statistics, the similar cases and the ratings, on SQLite and PostgreSQL, from a
small data set whose every figure is known."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from storage import Database, OutboxMessage
from storage.repos.ratings import RatingResult
from storage.repos.stats import percentiles
from storage.tables import cases, outbox
from tests.storage.stats_data import BUYER, SUPPLIER, CaseSpec, insert

DAY = 86400.0


def _known() -> list[CaseSpec]:
    agreement = [
        CaseSpec(
            days_to_close=1, refund=None, ratings={"buyer": (5, "great"), "supplier": (4, None)}
        ),
        CaseSpec(days_to_close=2, refund=Decimal("50"), ratings={"buyer": (2, None)}),
        CaseSpec(days_to_close=3, refund=Decimal("100"), ratings={"buyer": (None, None)}),
        CaseSpec(days_to_close=4, refund=Decimal("200")),
    ]
    return [
        *agreement,
        CaseSpec(ended_by="blind_bid", days_to_close=5),
        CaseSpec(ended_by="blind_bid", days_to_close=6, category="late_delivery"),
        CaseSpec(ended_by="mediator", days_to_close=7),
        CaseSpec(ended_by="mediation_settle", days_to_close=8),
        CaseSpec(
            ended_by="decide",
            closed_reason="unfulfilled",
            days_to_close=9,
            supplier_response="fired",
            missed=("negotiation",),
        ),
        CaseSpec(ended_by=None, closed_reason="withdrawn", days_to_close=10),
        CaseSpec(
            ended_by=None, closed_reason="dismissed", days_to_close=11, supplier_response="fired"
        ),
        CaseSpec(state="negotiation", ended_by=None, closed_reason=None, category="late_delivery"),
        CaseSpec(ended_by=None, closed_reason="expired", supplier_response=None, category="other"),
        # Withdrawn before the supplier answered: the deadline closed "met", but no answer.
        CaseSpec(
            ended_by=None,
            closed_reason="withdrawn",
            supplier_response="met_no_answer",
            days_to_close=None,
        ),
        CaseSpec(state="settled", closed_reason=None, days_to_close=None),
    ]


async def test_the_figures_of_a_known_data_set(db: Database, now: datetime) -> None:
    await insert(db, _known(), now)
    f = await db.stats.figures()
    assert f.filed == 15
    assert f.by_state == {"closed": 13, "negotiation": 1, "settled": 1}
    assert f.by_category == {"quality_defect": 12, "late_delivery": 2, "other": 1}
    assert f.by_state_and_category[("negotiation", "late_delivery")] == 1
    assert f.ended == 13  # the open case and the expired claim did not end
    assert f.outcomes == {
        "agreement": 5,  # four closed, one still fulfilling its settlement
        "blind_bidding": 2,
        "mediation": 2,  # the mediator's proposal, and the parties' own accepted in mediation
        "decision": 1,
        "withdrawn": 2,
        "other": 1,  # dismissed
    }
    assert f.share("agreement") == pytest.approx(5 / 13)
    assert f.outcomes_by_category["late_delivery"] == {"blind_bidding": 1}
    assert f.outcomes_by_category["quality_defect"]["agreement"] == 5
    # Closed after 1..11 days: the median is 6, percentile_cont(0.9) is 1 + 0.9 * 10 = 10.
    assert f.resolution_median_seconds == pytest.approx(6 * DAY, abs=1)
    assert f.resolution_p90_seconds == pytest.approx(10 * DAY, abs=1)
    # Answered in time by 11; missed by 2; the withdrawn claim's deadline closed without one.
    assert (f.supplier_in_time, f.supplier_late) == (11, 2)
    assert f.supplier_response_rate == pytest.approx(11 / 13)
    assert f.deadlines_missed == 3
    assert f.missed_by_kind == {"supplier_response": 2, "negotiation": 1}
    assert (f.ratings_asked, f.ratings_given, f.comments) == (4, 3, 1)
    assert f.rating_average == pytest.approx(11 / 3)
    assert f.rating_counts == {5: 1, 4: 1, 2: 1}
    as_json = f.to_json()
    assert as_json["outcomes"]["mediation"] == 2
    assert as_json["ratings"]["by_score"] == {"2": 1, "4": 1, "5": 1}


async def test_an_empty_database_has_no_percentiles(db: Database) -> None:
    f = await db.stats.figures()
    assert f.filed == 0 and f.ended == 0 and f.share("agreement") == 0.0
    assert f.resolution_median_seconds is None and f.supplier_response_rate is None
    assert f.rating_average is None


async def test_the_portable_percentile_is_percentile_cont(db: Database, now: datetime) -> None:
    """The ORDER BY / OFFSET percentile gives PostgreSQL's percentile_cont, on both databases."""
    days = [0.5, 3, 3, 7, 12.25, 20, 41]
    await insert(db, [CaseSpec(days_to_close=d) for d in days], now)
    values = select(cases.c.number.label("v"))
    got = await _percentiles(db, values, (0.0, 0.25, 0.5, 0.9, 1.0))
    numbers = sorted(range(1, len(days) + 1))
    expected = [_cont(numbers, p) for p in (0.0, 0.25, 0.5, 0.9, 1.0)]
    assert got == pytest.approx(expected)
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            cont = await conn.scalar(
                text("SELECT percentile_cont(0.9) WITHIN GROUP (ORDER BY number) FROM cases")
            )
        assert float(cont) == pytest.approx(expected[3])


async def _percentiles(
    db: Database, values: object, points: tuple[float, ...]
) -> list[float | None]:
    async with db.engine.connect() as conn:
        return await percentiles(conn, values, points)  # type: ignore[arg-type]


def _cont(values: list[int], p: float) -> float:
    rank = p * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


async def test_similar_cases_of_the_category_currency_and_band(db: Database, now: datetime) -> None:
    refunds = [Decimal(x) for x in (0, 20, 40, 60, 80, 100, 120, 140, 160, 200)] * 2
    similar = [CaseSpec(refund=r if r else None) for r in refunds]
    others = [
        CaseSpec(category="late_delivery", refund=Decimal(200)),  # another category
        CaseSpec(currency="CNY", refund=Decimal(200)),  # another currency
        CaseSpec(amount=Decimal("80.00"), refund=Decimal(80)),  # another band (below 100)
        CaseSpec(state="negotiation", closed_reason=None, ended_by=None),  # not closed
        CaseSpec(closed_reason="expired", ended_by=None),  # never disputed
        CaseSpec(ended_by=None, closed_reason="withdrawn"),
    ]
    await insert(db, [*similar, *others], now)
    got = await db.stats.similar("quality_defect", "USD", Decimal("450"))
    assert got.cases == 21  # the 20 and the withdrawn one
    assert got.outcomes == {"agreement": 20, "withdrawn": 1}
    # Shares of 200 paid: 0, .1, ... (each twice) and the withdrawn case's 0: the median of
    # 21 values is the 11th: 0, 0, 0, .1, .1, .2, .2, .3, .3, .4, [.4]
    assert got.median_refund_share == pytest.approx(0.4)
    first = await _case_id(db, 1)
    excluded = await db.stats.similar(
        "quality_defect", "USD", Decimal("200"), exclude_case_id=first
    )
    assert excluded.cases == 20
    assert (await db.stats.similar("quality_defect", "USD", Decimal("5000"))).cases == 0


async def _case_id(db: Database, number: int) -> int:
    async with db.engine.connect() as conn:
        found = await conn.scalar(select(cases.c.id).where(cases.c.number == number))
    assert found is not None
    return int(found)


async def test_a_party_is_asked_once_and_rates_once(db: Database, now: datetime) -> None:
    await insert(db, [CaseSpec(), CaseSpec(state="negotiation", closed_reason=None)], now)
    case_id = await _case_id(db, 1)
    closed_at = now + timedelta(days=10)
    unasked = await db.ratings.unasked(closed_at)
    assert {(u.case_id, u.party_role) for u in unasked} == {
        (case_id, "buyer"),
        (case_id, "supplier"),
    }
    assert await db.ratings.unasked(closed_at + timedelta(days=8)) == []  # too long ago

    def question(role: str) -> list[OutboxMessage]:
        return [OutboxMessage(BUYER, "rate?", f"case:{case_id}:rating:{role}", case_id)]

    assert await db.ratings.ask(case_id, "buyer", BUYER, closed_at, question("buyer"))
    assert not await db.ratings.ask(case_id, "buyer", BUYER, closed_at, question("buyer"))
    async with db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(outbox)) == 1
    assert [u.party_role for u in await db.ratings.unasked(closed_at)] == ["supplier"]

    assert await db.ratings.rate(case_id, SUPPLIER, 3, closed_at) == (RatingResult.UNKNOWN, None)
    assert await db.ratings.rate(case_id, BUYER, 4, closed_at) == (RatingResult.RECORDED, "buyer")
    assert await db.ratings.rate(case_id, BUYER, 1, closed_at) == (RatingResult.ALREADY, "buyer")
    assert await db.ratings.comment(case_id, BUYER, "quick and fair") is RatingResult.RECORDED
    assert await db.ratings.comment(case_id, BUYER, "again") is RatingResult.ALREADY
    assert await db.ratings.of_case(case_id) == {"buyer": (4, "quick and fair")}
    with pytest.raises(ValueError):
        await db.ratings.rate(case_id, BUYER, 6, closed_at)
