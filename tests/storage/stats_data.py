"""Cases as the statistics read them, written straight into the tables in bulk.

The statistics only read (storage/repos/stats.py), so their tests and the benchmark
(tests/bench/bench_stats.py) make the rows the flows would have left: a filed case in a state,
the accepted proposal or the `decide` transition that says how it ended, its refund
obligation, its supplier-response deadline, its ratings. One `CaseSpec` per case; `insert`
writes thousands per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy import insert as sql_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import Database
from storage.tables import (
    cases,
    counters,
    deadlines,
    history_events,
    obligations,
    proposals,
    ratings,
    users,
)
from tests.storage.factory import claim as filed_claim

BUYER, SUPPLIER = 1_000_000_001, 7_000_000_002
HASH = "0" * 64


@dataclass(frozen=True)
class CaseSpec:
    category: str = "quality_defect"
    state: str = "closed"
    closed_reason: str | None = "fulfilled"
    # "agreement", "blind_bid", "mediator", "mediation_settle", "decide", or None
    ended_by: str | None = "agreement"
    amount: Decimal = Decimal("200.00")
    currency: str = "USD"
    refund: Decimal | None = None
    days_to_close: float | None = 10.0
    # "met" (answered in time), "fired", "met_no_answer" (closed by the buyer's withdrawal),
    # or None: no such deadline
    supplier_response: str | None = "met"
    missed: tuple[str, ...] = ()  # kinds of other deadlines that fired
    ratings: dict[str, tuple[int | None, str | None]] = field(default_factory=dict)


async def insert(db: Database, specs: list[CaseSpec], start: datetime, chunk: int = 2000) -> None:
    """Write the cases of `specs` (numbered after the existing ones) and their rows."""
    async with db.engine.begin() as conn:
        for uid in (BUYER, SUPPLIER):
            if await conn.scalar(select(users.c.id).where(users.c.id == uid)) is None:
                await conn.execute(
                    sql_insert(users).values(
                        id=uid, first_name="x", created_at=start, updated_at=start
                    )
                )
        first = int(await conn.scalar(select(func.coalesce(func.max(cases.c.number), 0))) or 0)
    for offset in range(0, len(specs), chunk):
        async with db.engine.begin() as conn:
            await _chunk(conn, specs[offset : offset + chunk], first + offset, start)
    async with db.engine.begin() as conn:  # the next claim filed gets the next number
        await conn.execute(
            update(counters)
            .where(counters.c.name == "case_number")
            .values(value=first + len(specs))
        )


async def _chunk(conn: AsyncConnection, specs: list[CaseSpec], first: int, start: datetime) -> None:
    case_rows = []
    for i, spec in enumerate(specs):
        submitted = start + timedelta(minutes=i)
        closed = (
            submitted + timedelta(days=spec.days_to_close)
            if spec.state == "closed" and spec.days_to_close is not None
            else None
        )
        claim = filed_claim(
            amount=str(spec.amount), currency=spec.currency, category=spec.category
        ).record()
        case_rows.append(
            {
                "buyer_id": BUYER,
                "supplier_id": SUPPLIER,
                "state": spec.state,
                "claim": claim,
                "category": spec.category,
                "created_at": submitted,
                "submitted_at": submitted,
                "closed_at": closed,
                "updated_at": closed or submitted,
                "last_activity_at": closed or submitted,
                "version": 1,
                "closed_reason": spec.closed_reason if spec.state == "closed" else None,
                "number": first + i + 1,
            }
        )
    ids = list((await conn.execute(sql_insert(cases).returning(cases.c.id), case_rows)).scalars())
    props: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    duties: list[dict[str, Any]] = []
    dues: list[dict[str, Any]] = []
    rated: list[dict[str, Any]] = []
    for case_id, spec, row in zip(ids, specs, case_rows, strict=True):
        at = row["submitted_at"]
        seq = 1
        if spec.ended_by in ("agreement", "blind_bid", "mediator"):
            source = {"agreement": "party"}.get(spec.ended_by, spec.ended_by)
            props.append(_proposal(case_id, source, at))
        if spec.ended_by in ("mediation_settle", "decide"):
            if spec.ended_by == "mediation_settle":
                props.append(_proposal(case_id, "party", at))
            events.append(_event(case_id, seq, spec.ended_by, at))
            seq += 1
        events.append(_event(case_id, seq, "submit", at))
        seq += 1
        if spec.supplier_response == "met":  # the supplier answered in time
            events.append(_event(case_id, seq, "supplier_respond", at, role="supplier"))
        if spec.refund is not None:
            duties.append(
                {
                    "case_id": case_id,
                    "number": 1,
                    "party_role": "supplier",
                    "kind": "refund",
                    "amount": str(spec.refund),
                    "currency": spec.currency,
                    "due_at": at,
                    "details": {},
                    "status": "confirmed",
                    "created_at": at,
                }
            )
        answer = {"met_no_answer": "met"}.get(spec.supplier_response or "", spec.supplier_response)
        kinds = [("supplier_response", answer)] if answer else []
        kinds += [(kind, "fired") for kind in spec.missed]
        for kind, status in kinds:
            dues.append(
                {
                    "case_id": case_id,
                    "kind": kind,
                    "started_at": at,
                    "due_at": at + timedelta(days=3),
                    "status": status,
                    "reminders_sent": 0,
                    "reminder_times": [],
                    "created_at": at,
                    "closed_at": at + timedelta(days=1),
                }
            )
        for role, (score, comment) in spec.ratings.items():
            rated.append(
                {
                    "case_id": case_id,
                    "party_role": role,
                    "user_id": BUYER if role == "buyer" else SUPPLIER,
                    "asked_at": at,
                    "score": score,
                    "rated_at": at if score is not None else None,
                    "comment": comment,
                    "comment_done": comment is not None,
                }
            )
    for table, rows in (
        (proposals, props),
        (history_events, events),
        (obligations, duties),
        (deadlines, dues),
        (ratings, rated),
    ):
        if rows:
            await conn.execute(sql_insert(table), rows)


def _proposal(case_id: int, source: str, at: datetime) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "number": 1,
        "author_id": SUPPLIER,
        "author_role": "supplier",
        "terms": {"version": 1, "terms": []},
        "status": "accepted",
        "source": source,
        "created_at": at,
    }


def _event(
    case_id: int, seq: int, action: str, at: datetime, role: str = "system"
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "seq": seq,
        "actor_id": None,
        "actor_role": role,
        "kind": "case.transition",
        "payload": {"action": action},
        "created_at": at,
        "prev_hash": HASH,
        "hash": HASH,
    }
