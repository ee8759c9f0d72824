"""Rows of proposals inside a caller's transaction: inserting one (numbered, superseding the
open one), reading them back, and the party check; shared by `ProposalRepo`'s steps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from flows.rules import proposals as rules
from flows.rules.lifecycle import Role
from storage.errors import Conflict, NotFound
from storage.records import Case, Proposal, ProposalStatus
from storage.repos.history import append_event
from storage.repos.transitions import fetch_case
from storage.rows import proposal_from_row
from storage.tables import proposals
from storage.types import normalise_json

__all__ = [
    "check_party",
    "fetch_proposal",
    "insert_proposal",
    "mediators_open",
    "proposal_body",
    "read_case",
]

_S = ProposalStatus
_P = proposals.c


def proposal_body(terms: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of `terms`; refuses what the rules could not read back (ValueError)."""
    body: dict[str, Any] = normalise_json(dict(terms))
    rules.Proposal.from_dict(body)
    return body


async def insert_proposal(
    conn: AsyncConnection,
    case_id: int,
    author_id: int,
    author_role: Role,
    body: dict[str, Any],
    now: datetime,
    source: str,
) -> Proposal:
    """Insert the proposal with the case's next number and supersede the open one, with
    their events, in the caller's transaction (the case locked)."""
    case = await read_case(conn, case_id)
    check_party(case, author_id, author_role)
    highest = await conn.scalar(select(func.max(_P.number)).where(_P.case_id == case_id))
    row = (
        (
            await conn.execute(
                insert(proposals)
                .values(
                    case_id=case_id,
                    number=1 if highest is None else int(highest) + 1,
                    author_id=author_id,
                    author_role=Role(author_role).value,
                    terms=body,
                    status=_S.OPEN,
                    source=source,
                    created_at=now,
                )
                .returning(*proposals.c)
            )
        )
        .mappings()
        .one()
    )
    made = proposal_from_row(row)
    replaced = await conn.execute(
        update(proposals)
        .where(_P.case_id == case_id, _P.status == _S.OPEN, _P.id != made.id)
        .values(status=_S.SUPERSEDED, superseded_by=made.id, decided_at=now)
        .returning(_P.number)
    )
    superseded = sorted(int(n) for n in replaced.scalars())
    made_event = {
        "number": made.number,
        "author_role": made.author_role.value,
        "source": source,
        "terms": body,
    }
    await append_event(conn, case_id, author_id, author_role, "proposal.made", made_event, now)
    for number in superseded:
        await append_event(
            conn,
            case_id,
            author_id,
            author_role,
            "proposal.superseded",
            {"number": number, "superseded_by": made.number},
            now,
        )
    return made


def check_party(case: Case, user_id: int, role: Role) -> None:
    """A buyer or supplier acts only as that party of this case."""
    party = {Role.BUYER: case.buyer_id, Role.SUPPLIER: case.supplier_id}
    if role in party and user_id != party[role]:
        raise Conflict(f"user {user_id} is not this case's {role}")


async def read_case(conn: AsyncConnection, case_id: int) -> Case:
    case = await fetch_case(conn, case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case


async def fetch_proposal(conn: AsyncConnection, *where: Any) -> Proposal | None:
    row = (await conn.execute(select(proposals).where(*where))).mappings().first()
    return None if row is None else proposal_from_row(row)


async def mediators_open(conn: AsyncConnection, case_id: int) -> bool:
    """Whether the case's open proposal is a mediator's (the parties answer it first)."""
    found = await conn.scalar(
        select(_P.id).where(
            _P.case_id == case_id,
            _P.status == _S.OPEN,
            _P.author_role == Role.MEDIATOR.value,
        )
    )
    return found is not None
