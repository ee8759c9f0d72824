"""Blind bidding's steps inside a write transaction: the rows, their compare-and-sets, events.

`storage.repos.bids.BidRepo` opens the transactions and decides; this module only reads and
writes `blind_biddings` and `bid_rounds` and records the events, never a figure (the midpoint
only where the rules reveal it). Callers hold the case lock (`locked_case`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.lifecycle import Role
from storage.errors import Conflict, NotFound
from storage.records import BiddingStatus, BidRound, BlindBidding, Case, RoundStatus
from storage.repos.base import lock_case
from storage.repos.history import append_event
from storage.repos.transitions import fetch_case
from storage.rows import bidding_from_row, round_from_row
from storage.tables import bid_rounds, blind_biddings

__all__ = [
    "OPTED",
    "active_bidding",
    "fetch_bidding",
    "locked_case",
    "opt_in",
    "party_event",
    "resolved_event",
    "round_of",
    "set_bidding",
    "set_round",
    "start_round",
]

_B, _R = BiddingStatus, RoundStatus
_BB, _BR = blind_biddings.c, bid_rounds.c
OPTED = {Role.BUYER: "buyer_opted_in", Role.SUPPLIER: "supplier_opted_in"}


async def locked_case(conn: AsyncConnection, case_id: int) -> Case:
    await lock_case(conn, case_id)
    case = await fetch_case(conn, case_id)
    assert case is not None  # lock_case raised NotFound otherwise
    return case


async def fetch_bidding(conn: AsyncConnection, case_id: int) -> BlindBidding | None:
    row = (
        (await conn.execute(select(blind_biddings).where(_BB.case_id == case_id)))
        .mappings()
        .first()
    )
    return None if row is None else bidding_from_row(row)


async def active_bidding(conn: AsyncConnection, case_id: int) -> BlindBidding:
    bidding = await fetch_bidding(conn, case_id)
    if bidding is None:
        raise NotFound(f"no blind bidding in case {case_id}")
    if bidding.status != _B.ACTIVE:
        raise Conflict(f"blind bidding is {bidding.status}")
    return bidding


async def round_of(conn: AsyncConnection, case_id: int, round_no: int) -> BidRound:
    row = (
        (
            await conn.execute(
                select(bid_rounds).where(_BR.case_id == case_id, _BR.round_no == round_no)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no round {round_no} in case {case_id}")
    return round_from_row(row)


async def set_bidding(conn: AsyncConnection, case_id: int, **values: Any) -> BlindBidding:
    row = (
        (
            await conn.execute(
                update(blind_biddings)
                .where(_BB.case_id == case_id)
                .values(**values)
                .returning(*blind_biddings.c)
            )
        )
        .mappings()
        .one()
    )
    return bidding_from_row(row)


async def set_round(
    conn: AsyncConnection, case_id: int, round_no: int, expected: str, **values: Any
) -> BidRound:
    """Compare-and-set the round's status from `expected` (the caller holds the case lock)."""
    row = (
        (
            await conn.execute(
                update(bid_rounds)
                .where(_BR.case_id == case_id, _BR.round_no == round_no, _BR.status == expected)
                .values(**values)
                .returning(*bid_rounds.c)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise Conflict(f"round {round_no} changed meanwhile")
    return round_from_row(row)


async def opt_in(
    conn: AsyncConnection,
    case: Case,
    current: BlindBidding,
    role: Role,
    now: datetime,
    max_rounds: int,
) -> BlindBidding:
    if getattr(current, OPTED[role]):
        return current
    both = current.buyer_opted_in or current.supplier_opted_in  # the other one is in
    values: dict[str, Any] = {OPTED[role]: True, "updated_at": now}
    if both:
        values["status"] = _B.ACTIVE if current.rounds_done < max_rounds else _B.EXHAUSTED
    bidding = await set_bidding(conn, case.id, **values)
    await party_event(conn, case, role, "bids.opted_in", {"role": role.value}, now)
    if bidding.status == _B.ACTIVE:
        await start_round(conn, case, now)
    return bidding


async def start_round(conn: AsyncConnection, case: Case, now: datetime) -> BidRound:
    latest = await conn.scalar(select(func.max(_BR.round_no)).where(_BR.case_id == case.id))
    round_no = 1 if latest is None else int(latest) + 1
    row = (
        (
            await conn.execute(
                insert(bid_rounds)
                .values(case_id=case.id, round_no=round_no, status=_R.COLLECTING, created_at=now)
                .returning(*bid_rounds.c)
            )
        )
        .mappings()
        .one()
    )
    await append_event(
        conn, case.id, None, Role.SYSTEM, "bids.round_started", {"round_no": round_no}, now
    )
    return round_from_row(row)


async def resolved_event(
    conn: AsyncConnection, case: Case, resolved: BidRound, bidding_status: str, now: datetime
) -> None:
    """ "bids.round_resolved": the midpoint only where the rules reveal it, never a figure."""
    payload: dict[str, Any] = {
        "round_no": resolved.round_no,
        "status": resolved.status,
        "bidding": bidding_status,
    }
    if resolved.status in (_R.SETTLED, _R.OFFER_MIDPOINT, _R.MIDPOINT_ACCEPTED):
        payload["midpoint"] = resolved.midpoint
    await append_event(conn, case.id, None, Role.SYSTEM, "bids.round_resolved", payload, now)


async def party_event(
    conn: AsyncConnection, case: Case, role: Role, kind: str, payload: dict[str, Any], now: datetime
) -> None:
    """An event by a party of the case, with that party's user id where it is known."""
    actor = case.buyer_id if role is Role.BUYER else case.supplier_id
    await append_event(conn, case.id, actor, role, kind, payload, now)
