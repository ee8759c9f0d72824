"""Blind bidding: opting in, one bid per side per round, rounds resolved, figures kept private."""

from __future__ import annotations

import asyncio
from dataclasses import fields
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from flows.rules.blind_bid import BidOutcome, match
from flows.rules.lifecycle import Role
from storage import BidRound, BlindBidding, Conflict, Database, NotFound, canonical_json
from tests.storage.factory import BUYER, SUPPLIER, negotiation_case

CLAIM = Decimal("1200.00")
MAX = 3
M = timedelta(minutes=1)


async def _active(db: Database, now: datetime) -> int:
    case = await negotiation_case(db, now)
    await db.bids.offer(case.id, Role.BUYER, now)
    await db.bids.opt_in(case.id, Role.SUPPLIER, now)
    return case.id


async def _round(
    db: Database, case_id: int, round_no: int, buyer: str, supplier: str, now: datetime
) -> BidRound:
    """Both bid, then the round is matched and resolved as the flows do it."""
    await db.bids.place_bid(case_id, round_no, Role.BUYER, Decimal(buyer), now)
    _, both_in = await db.bids.place_bid(case_id, round_no, Role.SUPPLIER, Decimal(supplier), now)
    assert both_in
    low, high = await db.bids._figures(case_id, round_no)
    assert low is not None and high is not None
    result = match(low, high, CLAIM, "USD")
    return await db.bids.resolve(case_id, round_no, result.kind.value, result.amount, now, MAX)


async def test_offer_and_opt_in_start_round_one(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    assert await db.bids.get(case.id) is None and await db.bids.current_round(case.id) is None
    offered = await db.bids.offer(case.id, Role.SUPPLIER, now)
    assert offered == BlindBidding(case.id, "offered", Role.SUPPLIER, False, True, 0, now, now)
    assert await db.bids.offer(case.id, Role.SUPPLIER, now + M) == offered  # twice: no change
    active = await db.bids.opt_in(case.id, Role.BUYER, now + M)
    assert (active.status, active.buyer_opted_in, active.supplier_opted_in) == (
        "active",
        True,
        True,
    )
    assert await db.bids.opt_in(case.id, Role.BUYER, now + M) == active  # double press
    first = await db.bids.current_round(case.id)
    assert first == BidRound(case.id, 1, "collecting", None, None, None, now + M, None)
    assert first.waiting_for() == {Role.BUYER, Role.SUPPLIER}
    events = [(e.kind, e.actor_id, e.payload) for e in await db.history.list(case.id)]
    assert [e for e in events if e[0].startswith("bids.")] == [
        ("bids.offered", SUPPLIER, {"role": "supplier"}),
        ("bids.opted_in", BUYER, {"role": "buyer"}),
        ("bids.round_started", None, {"round_no": 1}),
    ]


async def test_offering_what_the_other_offered_is_opting_in(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    await db.bids.offer(case.id, Role.BUYER, now)
    both = await db.bids.offer(case.id, Role.SUPPLIER, now)
    assert (both.status, both.offered_by_role) == ("active", Role.BUYER)
    with pytest.raises(Conflict, match="blind bidding is active"):
        await db.bids.offer(case.id, Role.SUPPLIER, now)


async def test_refusals(db: Database, now: datetime) -> None:
    case = await negotiation_case(db, now)
    with pytest.raises(NotFound):
        await db.bids.opt_in(case.id, Role.BUYER, now)
    with pytest.raises(ValueError, match="only the buyer and the supplier"):
        await db.bids.offer(case.id, Role.MEDIATOR, now)
    with pytest.raises(NotFound):
        await db.bids.offer(case.id + 404, Role.BUYER, now)
    await db.bids.offer(case.id, Role.BUYER, now)
    with pytest.raises(Conflict, match="blind bidding is offered"):
        await db.bids.place_bid(case.id, 1, Role.BUYER, Decimal("10.00"), now)
    await db.bids.opt_in(case.id, Role.SUPPLIER, now)
    with pytest.raises(ValueError):
        await db.bids.place_bid(case.id, 1, Role.BUYER, Decimal("-1"), now)
    with pytest.raises(NotFound):
        await db.bids.place_bid(case.id, 2, Role.BUYER, Decimal("10.00"), now)
    with pytest.raises(Conflict, match="not complete"):
        await db.bids.resolve(case.id, 1, "no_overlap", None, now, MAX)
    with pytest.raises(ValueError):
        await db.bids.resolve(case.id, 1, "settled", None, now, MAX)
    with pytest.raises(ValueError):
        await db.bids.resolve(case.id, 1, "midpoint_accepted", Decimal(1), now, MAX)
    with pytest.raises(Conflict, match="round 1 is collecting"):
        await db.bids.start_next_round(case.id, now, MAX)
    with pytest.raises(Conflict, match="round 1 is collecting"):
        await db.bids.answer_midpoint(case.id, 1, Role.BUYER, True, now)


async def test_one_bid_per_side_per_round(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    placed, both_in = await db.bids.place_bid(case_id, 1, Role.BUYER, Decimal("900.00"), now)
    assert not both_in and placed.buyer_bid_in and not placed.supplier_bid_in
    assert placed.waiting_for() == {Role.SUPPLIER}
    with pytest.raises(Conflict, match="already bid"):
        await db.bids.place_bid(case_id, 1, Role.BUYER, Decimal("800.00"), now)
    assert await db.bids._figures(case_id, 1) == (Decimal("900.00"), None)
    with pytest.raises(NotFound):
        await db.bids._figures(case_id, 9)


async def test_settled_round(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    settled = await _round(db, case_id, 1, "900.00", "1000.00", now + M)
    assert (settled.status, settled.midpoint, settled.resolved_at) == (
        "settled",
        Decimal("950.00"),
        now + M,
    )
    bidding = await db.bids.get(case_id)
    assert bidding is not None and (bidding.status, bidding.rounds_done) == ("settled", 1)
    with pytest.raises(Conflict, match="blind bidding is settled"):
        await db.bids.start_next_round(case_id, now, MAX)
    with pytest.raises(Conflict, match="blind bidding is settled"):
        await db.bids.decline(case_id, Role.BUYER, now)
    [event] = [e for e in await db.history.list(case_id) if e.kind == "bids.round_resolved"]
    assert event.payload == {
        "round_no": 1,
        "status": "settled",
        "bidding": "settled",
        "midpoint": "950.00",
    }


async def test_three_rounds_without_overlap_exhaust(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    for round_no in (1, 2, 3):
        if round_no > 1:
            started = await db.bids.start_next_round(case_id, now, MAX)
            assert (started.round_no, started.status) == (round_no, "collecting")
        resolved = await _round(db, case_id, round_no, "1000.00", "500.00", now)
        assert (resolved.status, resolved.midpoint) == ("no_overlap", None)
    bidding = await db.bids.get(case_id)
    assert bidding is not None and (bidding.status, bidding.rounds_done) == ("exhausted", 3)
    with pytest.raises(Conflict):
        await db.bids.start_next_round(case_id, now, MAX)
    payloads = [e.payload for e in await db.history.list(case_id) if e.kind.startswith("bids.")]
    assert {"round_no": 3, "status": "no_overlap", "bidding": "exhausted"} in payloads


async def test_start_next_round_stops_at_max(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    await _round(db, case_id, 1, "1000.00", "500.00", now)
    with pytest.raises(Conflict, match="no blind bidding rounds left"):
        await db.bids.start_next_round(case_id, now, 1)
    await db.bids.start_next_round(case_id, now, MAX)
    with pytest.raises(Conflict, match="round 2 is collecting"):
        await db.bids.start_next_round(case_id, now, MAX)  # a double press


async def test_midpoint_offer_accepted_settles(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    offered = await _round(db, case_id, 1, "900.00", "820.00", now)
    assert (offered.status, offered.midpoint) == ("offer_midpoint", Decimal("860.00"))
    first = await db.bids.answer_midpoint(case_id, 1, Role.SUPPLIER, True, now + M)
    assert (first.status, first.supplier_midpoint_answer, first.buyer_midpoint_answer) == (
        "offer_midpoint",
        True,
        None,
    )
    with pytest.raises(Conflict, match="already answered"):
        await db.bids.answer_midpoint(case_id, 1, Role.SUPPLIER, False, now + M)
    final = await db.bids.answer_midpoint(case_id, 1, Role.BUYER, True, now + 2 * M)
    assert (final.status, final.resolved_at) == ("midpoint_accepted", now + 2 * M)
    bidding = await db.bids.get(case_id)
    assert bidding is not None and bidding.status == "settled"
    tail = [e.payload for e in await db.history.list(case_id)][-3:]
    assert tail == [
        {"round_no": 1, "role": "supplier", "accept": True},
        {"round_no": 1, "role": "buyer", "accept": True},
        {"round_no": 1, "status": "midpoint_accepted", "bidding": "settled", "midpoint": "860.00"},
    ]


async def test_midpoint_declined_allows_another_round(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    await _round(db, case_id, 1, "900.00", "820.00", now)
    declined = await db.bids.answer_midpoint(case_id, 1, Role.BUYER, False, now)
    assert declined.status == "midpoint_declined"  # one no ends the offer at once
    with pytest.raises(Conflict):  # the other side's later answer changes nothing
        await db.bids.answer_midpoint(case_id, 1, Role.SUPPLIER, True, now)
    bidding = await db.bids.get(case_id)
    assert bidding is not None and (bidding.status, bidding.rounds_done) == ("active", 1)
    assert (await db.bids.start_next_round(case_id, now, MAX)).round_no == 2


async def test_declined_midpoint_in_the_last_round_exhausts(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    await _round(db, case_id, 1, "900.00", "820.00", now)
    await db.bids.answer_midpoint(case_id, 1, Role.BUYER, False, now, max_rounds=1)
    bidding = await db.bids.get(case_id)
    assert bidding is not None and bidding.status == "exhausted"


async def test_decline_discards_the_open_round_and_may_be_offered_again(
    db: Database, now: datetime
) -> None:
    case_id = await _active(db, now)
    await _round(db, case_id, 1, "1000.00", "500.00", now)
    await db.bids.start_next_round(case_id, now, MAX)
    await db.bids.place_bid(case_id, 2, Role.BUYER, Decimal("990.00"), now)
    declined = await db.bids.decline(case_id, Role.SUPPLIER, now + M)
    assert (declined.status, declined.rounds_done) == ("declined", 1)
    assert await db.bids.decline(case_id, Role.BUYER, now + M) == declined  # no change
    current = await db.bids.current_round(case_id)
    assert current is not None and current.round_no == 1  # round 2 and its figure are gone
    with pytest.raises(NotFound):
        await db.bids._figures(case_id, 2)

    again = await db.bids.offer(case_id, Role.SUPPLIER, now + 2 * M)
    assert (again.status, again.offered_by_role, again.buyer_opted_in) == (
        "offered",
        Role.SUPPLIER,
        False,
    )
    await db.bids.opt_in(case_id, Role.BUYER, now + 2 * M)
    fresh = await db.bids.current_round(case_id)
    assert fresh is not None and (fresh.round_no, fresh.waiting_for()) == (
        2,
        {Role.BUYER, Role.SUPPLIER},
    )
    kinds = [e.kind for e in await db.history.list(case_id) if e.kind.startswith("bids.")]
    assert kinds[-4:] == ["bids.declined", "bids.offered", "bids.opted_in", "bids.round_started"]


async def test_decline_while_a_midpoint_is_offered_declines_it(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    await _round(db, case_id, 1, "900.00", "820.00", now)
    await db.bids.decline(case_id, Role.BUYER, now)
    current = await db.bids.current_round(case_id)
    assert current is not None and current.status == "midpoint_declined"
    with pytest.raises(Conflict):
        await db.bids.answer_midpoint(case_id, 1, Role.SUPPLIER, True, now)
    with pytest.raises(Conflict, match="no blind bidding rounds left"):
        await db.bids.offer(case_id, Role.BUYER, now, max_rounds=1)


async def test_simultaneous_bids_are_both_stored_and_seen_complete_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case_id = await _active(db, now)
    for round_no in (1, 2, 3):
        if round_no > 1:
            await db.bids.start_next_round(case_id, now, MAX)
        results = await asyncio.gather(
            db.bids.place_bid(case_id, round_no, Role.BUYER, Decimal("1000.00"), now),
            other_worker.bids.place_bid(case_id, round_no, Role.SUPPLIER, Decimal("10.00"), now),
        )
        assert sorted(both_in for _, both_in in results) == [False, True]
        assert await db.bids._figures(case_id, round_no) == (Decimal("1000.00"), Decimal("10.00"))
        await db.bids.resolve(case_id, round_no, "no_overlap", None, now, MAX)
    assert (await db.history.verify(case_id)).ok


async def test_the_same_bid_twice_at_once_is_stored_once(
    db: Database, other_worker: Database, now: datetime
) -> None:
    case_id = await _active(db, now)
    results = await asyncio.gather(
        db.bids.place_bid(case_id, 1, Role.BUYER, Decimal("700.00"), now),
        other_worker.bids.place_bid(case_id, 1, Role.BUYER, Decimal("710.00"), now),
        return_exceptions=True,
    )
    assert len([r for r in results if isinstance(r, Conflict)]) == 1
    buyer, _ = await db.bids._figures(case_id, 1)
    assert buyer in {Decimal("700.00"), Decimal("710.00")}
    placed = [e for e in await db.history.list(case_id) if e.kind == "bids.bid_placed"]
    assert len(placed) == 1


async def test_no_figure_ever_leaves_storage(db: Database, now: datetime) -> None:
    case_id = await _active(db, now)
    rounds = [
        ("1000.00", "700.00"),  # too far apart
        ("900.00", "820.00"),  # close: midpoint 860.00 offered and declined
        ("845.00", "875.00"),  # overlap: settled at 860.00
    ]
    figures = {figure for pair in rounds for figure in pair}
    records: list[object] = []
    for round_no, (buyer, supplier) in enumerate(rounds, start=1):
        if round_no > 1:
            records.append(await db.bids.start_next_round(case_id, now, MAX))
        records.append(await db.bids.place_bid(case_id, round_no, Role.BUYER, Decimal(buyer), now))
        records.append(
            await db.bids.place_bid(case_id, round_no, Role.SUPPLIER, Decimal(supplier), now)
        )
        low, high = await db.bids._figures(case_id, round_no)
        assert (low, high) == (Decimal(buyer), Decimal(supplier))
        assert low is not None and high is not None
        result = match(low, high, CLAIM, "USD")
        records.append(
            await db.bids.resolve(case_id, round_no, result.kind.value, result.amount, now, MAX)
        )
        if result.kind is BidOutcome.OFFER_MIDPOINT:
            records.append(await db.bids.answer_midpoint(case_id, round_no, Role.BUYER, False, now))
    records += [await db.bids.get(case_id), await db.bids.current_round(case_id)]
    final = await db.bids.get(case_id)
    assert final is not None and final.status == "settled"

    events = [e for e in await db.history.list(case_id)]
    for event in events:
        text = canonical_json(event.payload)
        assert not [f for f in figures if f in text], (event.kind, event.payload)
    assert "860.00" in canonical_json([e.payload for e in events])  # the midpoint may show
    for record in records:
        assert not [f for f in figures if f in repr(record)], record
    names = {f.name for f in fields(BidRound)} | {f.name for f in fields(BlindBidding)}
    assert not {"buyer_bid", "supplier_bid", "buyer_min", "supplier_max"} & names
