"""Blind bidding (PRODUCT.md): each side names privately the figure it can live with.

The figures are stored, but never handed out: records carry only whether each figure is in,
and the case history records that a round took place and its result, never a figure, except
the midpoint where the rules reveal it (a settlement, or a midpoint offered to both).
`BidRepo._figures` is the one way to read them, for the matching step only.

The flow: a party offers (`offer`), the other opts in (`opt_in`) and round 1 starts; each
places one bid per round (`place_bid`; exactly one of two simultaneous bidders learns that
both are in); matching (`flows.rules.blind_bid.match`) decides and `resolve` records it;
a midpoint offer is answered by both (`answer_midpoint`); after a round without settlement
another may start (`start_next_round`) until `max_rounds` are used. A party may decline
while it is offered or running (a round still collecting is discarded with its figures) and
either may offer again later. Every write takes the case lock first, so on PostgreSQL the
writers of one case queue; on SQLite write transactions run one at a time anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules.blind_bid import BlindBidPolicy
from flows.rules.lifecycle import Role
from storage.errors import Conflict, NotFound
from storage.records import BiddingStatus, BidRound, BlindBidding, RoundStatus
from storage.repos.base import Repo
from storage.repos.bidding_rows import (
    OPTED,
    active_bidding,
    fetch_bidding,
    locked_case,
    opt_in,
    party_event,
    resolved_event,
    round_of,
    set_bidding,
    set_round,
    start_round,
)
from storage.repos.outbox import OutboxMessage, enqueue
from storage.rows import bidding_from_row, opt_decimal, round_from_row
from storage.tables import bid_rounds, blind_biddings

__all__ = ["DEFAULT_MAX_ROUNDS", "BidRepo"]

DEFAULT_MAX_ROUNDS = BlindBidPolicy().max_rounds
_B, _R = BiddingStatus, RoundStatus
_BB, _BR = blind_biddings.c, bid_rounds.c
_BID = {Role.BUYER: "buyer_bid", Role.SUPPLIER: "supplier_bid"}
_ANSWER = {Role.BUYER: "buyer_midpoint_answer", Role.SUPPLIER: "supplier_midpoint_answer"}


def _party(role: Role) -> Role:
    if role not in OPTED:
        raise ValueError(f"only the buyer and the supplier take part in blind bidding, not {role}")
    return Role(role)


class BidRepo(Repo):
    """Offering, joining, bidding, resolving rounds, answering midpoint offers."""

    async def get(self, case_id: int) -> BlindBidding | None:
        async with self._read() as conn:
            return await fetch_bidding(conn, case_id)

    async def current_round(self, case_id: int) -> BidRound | None:
        """The newest round of the case (without figures)."""
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(bid_rounds)
                        .where(_BR.case_id == case_id)
                        .order_by(_BR.round_no.desc())
                        .limit(1)
                    )
                )
                .mappings()
                .first()
            )
            return None if row is None else round_from_row(row)

    async def offer(
        self, case_id: int, role: Role, now: datetime, *, max_rounds: int = DEFAULT_MAX_ROUNDS
    ) -> BlindBidding:
        """`role` offers blind bidding and is opted in (event "bids.offered" {role}).

        A declined bidding is offered again (opt-ins reset to the offerer) if rounds are left.
        When the other party's offer is pending, offering is opting in. Offering twice changes
        nothing; Conflict while it runs or after it ended.
        """
        role = _party(role)
        async with self._write() as conn:
            case = await locked_case(conn, case_id)
            current = await fetch_bidding(conn, case_id)
            if current is not None and current.status == _B.OFFERED:
                return await opt_in(conn, case, current, role, now, max_rounds)
            opted = {
                "buyer_opted_in": role is Role.BUYER,
                "supplier_opted_in": role is Role.SUPPLIER,
            }
            values: dict[str, Any] = {
                "status": _B.OFFERED,
                "offered_by_role": role.value,
                "updated_at": now,
                **opted,
            }
            if current is None:
                stmt: Any = insert(blind_biddings).values(
                    case_id=case_id, rounds_done=0, created_at=now, **values
                )
            elif current.status == _B.DECLINED:
                if current.rounds_done >= max_rounds:
                    raise Conflict("no blind bidding rounds left")
                stmt = update(blind_biddings).where(_BB.case_id == case_id).values(**values)
            else:
                raise Conflict(f"blind bidding is {current.status}")
            row = (await conn.execute(stmt.returning(*blind_biddings.c))).mappings().one()
            await party_event(conn, case, role, "bids.offered", {"role": role.value}, now)
            return bidding_from_row(row)

    async def opt_in(
        self, case_id: int, role: Role, now: datetime, *, max_rounds: int = DEFAULT_MAX_ROUNDS
    ) -> BlindBidding:
        """`role` joins the offered bidding (event "bids.opted_in" {role}).

        When both are in, it becomes active and the next round starts ("bids.round_started").
        Opting in twice changes nothing; NotFound when nothing was offered, Conflict when it
        is not offered (declined, settled, exhausted).
        """
        role = _party(role)
        async with self._write() as conn:
            case = await locked_case(conn, case_id)
            current = await fetch_bidding(conn, case_id)
            if current is None:
                raise NotFound(f"no blind bidding offered in case {case_id}")
            if current.status == _B.ACTIVE:
                return current  # both were in already: a double press
            if current.status != _B.OFFERED:
                raise Conflict(f"blind bidding is {current.status}")
            return await opt_in(conn, case, current, role, now, max_rounds)

    async def decline(
        self,
        case_id: int,
        role: Role,
        now: datetime,
        *,
        outbox: Sequence[OutboxMessage] = (),
    ) -> BlindBidding:
        """`role` says no while it is offered or running (event "bids.declined" {role}).

        A round still collecting is discarded with its figures; a midpoint offer still open
        counts as declined. Declining twice changes nothing. `outbox`: the news of it, queued
        in the same transaction.
        """
        role = _party(role)
        async with self._write() as conn:
            case = await locked_case(conn, case_id)
            current = await fetch_bidding(conn, case_id)
            if current is None:
                raise NotFound(f"no blind bidding in case {case_id}")
            if current.status == _B.DECLINED:
                return current
            if current.status not in (_B.OFFERED, _B.ACTIVE):
                raise Conflict(f"blind bidding is {current.status}")
            await conn.execute(
                delete(bid_rounds).where(_BR.case_id == case_id, _BR.status == _R.COLLECTING)
            )
            await conn.execute(
                update(bid_rounds)
                .where(_BR.case_id == case_id, _BR.status == _R.OFFER_MIDPOINT)
                .values(status=_R.MIDPOINT_DECLINED, resolved_at=now)
            )
            row = await set_bidding(conn, case_id, status=_B.DECLINED, updated_at=now)
            await party_event(conn, case, role, "bids.declined", {"role": role.value}, now)
            await enqueue(conn, outbox, now)
            return row

    async def place_bid(
        self, case_id: int, round_no: int, role: Role, amount: Decimal, now: datetime
    ) -> tuple[BidRound, bool]:
        """Store `role`'s figure for the round; returns (the round, whether both are now in).

        Once per role per round: a second bid raises Conflict. The figure's range (positive,
        minor units, at most the amount paid) is checked by the flows (`check_bid`). The
        event "bids.bid_placed" {round_no, role} carries no amount.
        """
        role = _party(role)
        if not amount.is_finite() or amount <= 0:
            raise ValueError("a bid must be a positive amount")
        async with self._write() as conn:
            case = await locked_case(conn, case_id)
            await active_bidding(conn, case_id)
            current = await round_of(conn, case_id, round_no)
            if current.status != _R.COLLECTING:
                raise Conflict(f"round {round_no} is {current.status}")
            placed = await _fill_once(
                conn, case_id, round_no, _R.COLLECTING, _BID[role], str(amount)
            )
            if placed is None:
                raise Conflict(f"the {role} already bid in round {round_no}")
            payload = {"round_no": round_no, "role": role.value}
            await party_event(conn, case, role, "bids.bid_placed", payload, now)
            return placed, placed.buyer_bid_in and placed.supplier_bid_in

    async def _figures(self, case_id: int, round_no: int) -> tuple[Decimal | None, Decimal | None]:
        """(buyer's least refund, supplier's most payment) of the round.

        FOR THE MATCHING STEP ONLY: the figures are never shown to the other party nor to the
        mediator, never rendered, logged or put in the history.
        """
        async with self._read() as conn:
            row = (
                (
                    await conn.execute(
                        select(_BR.buyer_bid, _BR.supplier_bid).where(
                            _BR.case_id == case_id, _BR.round_no == round_no
                        )
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"no round {round_no} in case {case_id}")
        return opt_decimal(row["buyer_bid"]), opt_decimal(row["supplier_bid"])

    async def resolve(
        self,
        case_id: int,
        round_no: int,
        status: str,
        midpoint: Decimal | None,
        now: datetime,
        max_rounds: int,
        *,
        outbox: Sequence[OutboxMessage] = (),
    ) -> BidRound:
        """Record the matching result of a complete round: collecting -> `status`, with its news
        (`outbox`) queued in the same transaction.

        `status` is "settled", "offer_midpoint" (both with the midpoint) or "no_overlap"
        (without). The rounds used grow by one; the bidding becomes settled, or exhausted
        after a no_overlap in round `max_rounds`. Event "bids.round_resolved" {round_no,
        status, bidding, midpoint (settled / offer_midpoint only)}. Conflict for a round that
        is not collecting or not complete.
        """
        if status not in _R.RESULTS:
            raise ValueError(f"a round resolves as settled, offer_midpoint or no_overlap: {status}")
        if (midpoint is None) != (status == _R.NO_OVERLAP):
            raise ValueError("settled and offer_midpoint need the midpoint; no_overlap has none")
        async with self._write() as conn:
            case = await locked_case(conn, case_id)
            bidding = await active_bidding(conn, case_id)
            current = await round_of(conn, case_id, round_no)
            if current.status != _R.COLLECTING:
                raise Conflict(f"round {round_no} is {current.status}")
            if current.waiting_for():
                raise Conflict(f"round {round_no} is not complete")
            resolved = await set_round(
                conn,
                case_id,
                round_no,
                _R.COLLECTING,
                status=status,
                midpoint=None if midpoint is None else str(midpoint),
                resolved_at=now,
            )
            done = bidding.rounds_done + 1
            outcome = _B.ACTIVE
            if status == _R.SETTLED:
                outcome = _B.SETTLED
            elif status == _R.NO_OVERLAP and done >= max_rounds:
                outcome = _B.EXHAUSTED
            await set_bidding(conn, case_id, status=outcome, rounds_done=done, updated_at=now)
            await resolved_event(conn, case, resolved, outcome, now)
            await enqueue(conn, outbox, now)
            return resolved

    async def answer_midpoint(
        self,
        case_id: int,
        round_no: int,
        role: Role,
        accept: bool,
        now: datetime,
        *,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
    ) -> BidRound:
        """Record `role`'s answer to the midpoint offer (event "bids.midpoint_answered").

        Once both said yes, the round is midpoint_accepted (the bidding is settled); the first no
        makes it midpoint_declined at once (the bidding is exhausted if it was round
        `max_rounds`), so nobody waits on an offer that cannot succeed; either way with
        "bids.round_resolved" again. Conflict when no midpoint is on offer or `role` already
        answered.
        """
        role = _party(role)
        async with self._write() as conn:
            case = await locked_case(conn, case_id)
            current = await round_of(conn, case_id, round_no)
            if current.status != _R.OFFER_MIDPOINT:
                raise Conflict(f"round {round_no} is {current.status}")
            answered = await _fill_once(
                conn, case_id, round_no, _R.OFFER_MIDPOINT, _ANSWER[role], accept
            )
            if answered is None:
                raise Conflict(f"the {role} already answered the midpoint of round {round_no}")
            payload = {"round_no": round_no, "role": role.value, "accept": accept}
            await party_event(conn, case, role, "bids.midpoint_answered", payload, now)
            buyer, supplier = answered.buyer_midpoint_answer, answered.supplier_midpoint_answer
            if accept and (buyer is None or supplier is None):
                return answered  # a yes waits for the other side; one no ends the offer at once
            final = _R.MIDPOINT_ACCEPTED if buyer and supplier else _R.MIDPOINT_DECLINED
            answered = await set_round(
                conn, case_id, round_no, _R.OFFER_MIDPOINT, status=final, resolved_at=now
            )
            bidding = await fetch_bidding(conn, case_id)
            assert bidding is not None  # a round exists only under its bidding
            outcome = bidding.status
            if final == _R.MIDPOINT_ACCEPTED:
                outcome = _B.SETTLED
            elif bidding.rounds_done >= max_rounds:
                outcome = _B.EXHAUSTED
            await set_bidding(conn, case_id, status=outcome, updated_at=now)
            await resolved_event(conn, case, answered, outcome, now)
            return answered

    async def start_next_round(self, case_id: int, now: datetime, max_rounds: int) -> BidRound:
        """Start the round after one that ended without settlement (event "bids.round_started").

        Conflict when the bidding is not active, the last round is still open or settled, or
        `max_rounds` rounds were used.
        """
        async with self._write() as conn:
            case = await locked_case(conn, case_id)
            bidding = await active_bidding(conn, case_id)
            latest = await conn.scalar(select(func.max(_BR.round_no)).where(_BR.case_id == case_id))
            if latest is not None:
                last = await round_of(conn, case_id, int(latest))
                if last.status not in _R.FINISHED:
                    raise Conflict(f"round {last.round_no} is {last.status}")
            if bidding.rounds_done >= max_rounds:
                raise Conflict("no blind bidding rounds left")
            return await start_round(conn, case, now)


async def _fill_once(
    conn: AsyncConnection, case_id: int, round_no: int, status: str, column: str, value: object
) -> BidRound | None:
    """Set a round's `column` if it is still empty and the round still in `status`; the round
    as updated, or None when another call filled it first (the compare-and-set of a party's
    bid or midpoint answer)."""
    cell = _BR[column]
    row = (
        (
            await conn.execute(
                update(bid_rounds)
                .where(
                    _BR.case_id == case_id,
                    _BR.round_no == round_no,
                    _BR.status == status,
                    cell.is_(None),
                )
                .values({cell: value})
                .returning(*bid_rounds.c)
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else round_from_row(row)
