"""Checking a case's record: the chain, the heads witnessed outside the database, the live rows.

`AuditRepo.case(case_id, heads=...)` reads the case's history, its witnessed heads and the
rows the bot works from (the case, its evidence, proposals and obligations) in one read, and
returns every `Finding`, the chain's first:

- the chain: seq 1..n without gaps, each `prev_hash` the hash before it, each hash recomputed;
- the witnessed heads (ours in `witnessed_heads`, and any the caller brings, such as the head a
  party kept or the case file's): each must be an event of the chain with that hash. A tail cut,
  a deleted history and an event edited with every later hash recomputed all fail here, where
  the chain alone still holds;
- the live rows against the facts the chain carries: the claim, category, number and state of
  the case; each evidence item's label, tag, size, SHA-256, and whether it was removed; each
  proposal's terms and fate; each obligation's party, kind, amount and currency.

The stored evidence files are checked in `flows/case_audit.py` (the store is the flows').
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.hashing import GENESIS_HASH
from storage.records import Case, HistoryEvent
from storage.repos.base import Repo
from storage.repos.history import recomputed_hash
from storage.rows import case_from_row, event_from_row
from storage.tables import cases, evidence, history_events, obligations, proposals
from storage.types import normalise_json
from storage.witness import WitnessedHead, witnessed_rows

__all__ = ["Audit", "AuditRepo", "Finding", "Head", "check_chain", "check_heads"]


@dataclass(frozen=True)
class Finding:
    """One thing that does not hold, for the operator: where (`area`), which event, and what."""

    area: str  # "chain", "head", "case", "evidence", "proposal", "obligation", "file", ...
    detail: str
    seq: int | None = None  # the first event it concerns, when there is one


@dataclass(frozen=True)
class Head:
    """A head held outside the database: event `seq` of the case has `hash`."""

    seq: int
    hash: str
    source: str  # where it comes from, for the report ("posted to the buyer on ...")


@dataclass(frozen=True)
class Audit:
    case: Case
    events: list[HistoryEvent]
    heads: list[Head]
    findings: list[Finding]

    @property
    def head_hash(self) -> str:
        return self.events[-1].hash if self.events else GENESIS_HASH


def check_chain(events: Sequence[HistoryEvent]) -> builtins.list[Finding]:
    """The first place where the chain does not hold (seq, link or hash), if any."""
    prev_hash = GENESIS_HASH
    for expected, event in enumerate(events, start=1):
        if event.seq != expected:
            gap = f"event {expected} is missing (next is {event.seq})"
            return [Finding("chain", gap, expected)]
        if event.prev_hash != prev_hash:
            link = f"event {expected} does not link to event {expected - 1}"
            return [Finding("chain", link, expected)]
        recomputed = recomputed_hash(event, prev_hash)
        if recomputed != event.hash:
            altered = f"event {expected} ({event.kind}) was altered: its hash differs"
            return [Finding("chain", altered, expected)]
        prev_hash = event.hash
    return []


def check_heads(events: Sequence[HistoryEvent], heads: Iterable[Head]) -> builtins.list[Finding]:
    """Each head must be an event of the chain with that hash; the earliest that is not is
    reported, with the range of events it puts in doubt."""
    trusted = 0  # the last seq a matching head vouches for
    for head in sorted(heads, key=lambda h: h.seq):
        if head.seq > len(events):
            what = (
                "the whole history is gone"
                if not events
                else f"events {len(events) + 1}..{head.seq} are gone "
                f"(the history ends at {len(events)})"
            )
            return [
                Finding(
                    "head",
                    f"the head {head.seq}:{head.hash[:12]} ({head.source}) is not in the history: "
                    f"{what}",
                    len(events) + 1,
                )
            ]
        if events[head.seq - 1].hash != head.hash:
            return [
                Finding(
                    "head",
                    f"event {head.seq} does not have the hash {head.hash[:12]} witnessed "
                    f"({head.source}): an event between {trusted + 1} and {head.seq} was "
                    "altered and the later hashes recomputed",
                    trusted + 1,
                )
            ]
        trusted = head.seq
    return []


def _norm(value: Any) -> Any:
    return normalise_json(value)


class _Facts:
    """What the chain says about the rows, event by event."""

    def __init__(self, events: Sequence[HistoryEvent]) -> None:
        self.case: dict[str, Any] = {}
        self.evidence: dict[int, dict[str, Any]] = {}
        self.proposals: dict[int, dict[str, Any]] = {}
        self.obligations: dict[int, dict[str, Any]] = {}
        fates = {
            "proposal.superseded": "superseded",
            "proposal.accepted": "accepted",
            "proposal.rejected": "rejected",
            "proposal.withdrawn": "withdrawn",
        }
        for event in events:
            p = event.payload
            number = int(p.get("number") or 0)
            if event.kind == "case.transition":
                self.case["state"] = (p.get("to"), event.seq)
                for key in ("claim", "category", "number"):
                    if key in p:
                        self.case[key] = (p[key], event.seq)
            elif event.kind == "evidence.added":
                self.evidence[number] = {"seq": event.seq, "removed": False} | {
                    k: p.get(k) for k in ("kind", "label", "tag", "size", "mediator_only")
                }
            elif event.kind == "evidence.stored" and number in self.evidence:
                self.evidence[number].update(sha256=p.get("sha256"), stored_seq=event.seq)
                if p.get("size") is not None:
                    self.evidence[number]["size"] = p.get("size")
            elif event.kind == "evidence.removed" and number in self.evidence:
                self.evidence[number]["removed"] = True
            elif event.kind == "proposal.made":
                self.proposals[number] = {
                    "seq": event.seq,
                    "terms": p.get("terms"),
                    "status": "open",
                }
            elif event.kind in fates and number in self.proposals:
                self.proposals[number]["status"] = fates[event.kind]
            elif event.kind == "obligation.created":
                self.obligations[number] = {"seq": event.seq} | {
                    k: p.get(k) for k in ("party_role", "kind", "amount", "currency")
                }


def _compare(
    area: str, name: str, seq: int | None, recorded: dict[str, Any], live: dict[str, Any]
) -> builtins.list[Finding]:
    found: builtins.list[Finding] = []
    for key, value in live.items():
        if key in recorded and _norm(recorded[key]) != _norm(value):
            found.append(
                Finding(
                    area,
                    f"{name}: {key} is {_norm(value)!r} in the table but "
                    f"{_norm(recorded[key])!r} in the history (event {seq})",
                    seq,
                )
            )
    return found


async def _table_findings(
    conn: AsyncConnection, case: Case, claim: dict[str, Any], facts: _Facts
) -> builtins.list[Finding]:
    """`claim` is the column as stored, not the model read from it: the model leaves out keys
    it does not know, so an added key would pass unseen."""
    found: builtins.list[Finding] = []
    for key, live in (
        ("claim", claim),
        ("category", case.category),
        ("number", case.number),
        ("state", case.state.value),
    ):
        if key in facts.case:
            value, seq = facts.case[key]
            found += _compare("case", "the case", seq, {key: value}, {key: live})
    rows = (await conn.execute(select(evidence).where(evidence.c.case_id == case.id))).mappings()
    seen: set[int] = set()
    for row in rows:
        number = int(row["number"])
        seen.add(number)
        name = f"evidence E{number}"
        recorded = facts.evidence.get(number)
        if recorded is None:
            found.append(Finding("evidence", f"{name} is in the table but not in the history"))
            continue
        live = {k: row[k] for k in ("kind", "label", "tag", "size", "mediator_only", "sha256")}
        live["removed"] = row["removed_at"] is not None
        if "sha256" not in recorded:
            recorded = recorded | {"sha256": None}
        found += _compare("evidence", name, recorded["seq"], recorded, live)
    for number in facts.evidence:
        if number not in seen:
            found.append(
                Finding("evidence", f"evidence E{number} is in the history but not in the table")
            )
    rows = (await conn.execute(select(proposals).where(proposals.c.case_id == case.id))).mappings()
    for row in rows:
        name = f"proposal P{row['number']}"
        recorded = facts.proposals.get(int(row["number"]))
        if recorded is None:
            found.append(Finding("proposal", f"{name} is in the table but not in the history"))
            continue
        live = {"terms": row["terms"], "status": row["status"]}
        found += _compare("proposal", name, recorded["seq"], recorded, live)
    rows = (
        await conn.execute(select(obligations).where(obligations.c.case_id == case.id))
    ).mappings()
    for row in rows:
        name = f"obligation {row['number']}"
        recorded = facts.obligations.get(int(row["number"]))
        if recorded is None:
            found.append(Finding("obligation", f"{name} is in the table but not in the history"))
            continue
        live = {k: row[k] for k in ("party_role", "kind", "amount", "currency")}
        found += _compare("obligation", name, recorded["seq"], recorded, live)
    return found


def witnessed(rows: Iterable[WitnessedHead]) -> builtins.list[Head]:
    """The heads the bot posted, as `Head`s."""
    return [
        Head(
            row.seq,
            row.hash,
            f"posted to the {row.audience} at {row.milestone}, "
            f"{row.witnessed_at:%Y-%m-%d %H:%M} UTC",
        )
        for row in rows
    ]


class AuditRepo(Repo):
    """Everything `verify` checks in the database, read in one transaction."""

    async def case(self, case_id: int, heads: Sequence[Head] = ()) -> Audit:
        async with self._read() as conn:
            row = (await conn.execute(select(cases).where(cases.c.id == case_id))).mappings().one()
            claim = normalise_json(row["claim"])
            unreadable: builtins.list[Finding] = []
            try:
                case = case_from_row(row)
            except ValidationError as exc:  # edited into something that is not a claim
                case = case_from_row({**row, "claim": {}})
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'claim'}: {e['msg']}" for e in exc.errors()
                )
                unreadable = [Finding("case", f"the case: claim is not a claim ({problems})")]
            events = [
                event_from_row(r)
                for r in (
                    await conn.execute(
                        select(history_events)
                        .where(history_events.c.case_id == case_id)
                        .order_by(history_events.c.seq)
                    )
                ).mappings()
            ]
            from_db = await witnessed_rows(conn, case_id)
            every = [*witnessed(from_db), *heads]
            findings = check_chain(events) + check_heads(events, every)
            findings += unreadable + await _table_findings(conn, case, claim, _Facts(events))
        return Audit(case, events, every, findings)
