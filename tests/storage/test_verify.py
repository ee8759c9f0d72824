"""`verify` catches what someone with database access would do (issue 10, part 2).

Each test builds one case through the repositories (filed, evidence stored, settled, a note
after the settlement), with its heads witnessed as the bot posts them, then tampers with the
database as an attacker would (the history's triggers dropped first) and checks that
`verify_case` fails naming what it found. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import delete, text, update
from telegram import Bot

from flows.case_audit import case_file_json, read_case_file, verify_case
from flows.evidence_store import FolderStore, key_of
from flows.rules import proposals as rules
from flows.rules.lifecycle import Action, DeadlineKind, Role
from storage import Database, NewObligation, OutboxMessage
from storage.audit import Head
from storage.hashing import GENESIS_HASH, event_hash
from storage.tables import cases, evidence, history_events, witnessed_heads
from storage.witness import HeadNotice, register_head_news
from tests.storage.factory import BUYER, SUPPLIER, deadline, negotiation_case

H = timedelta(hours=1)
PHOTO = b"\x89PNG a photo of the broken goods"


def _posted(notice: HeadNotice) -> list[OutboxMessage]:
    """The head as the bot posts it, to each party (the words are the flows')."""
    return [
        OutboxMessage(
            uid, f"head {notice.seq}:{notice.hash}", f"h{notice.seq}|{uid}", notice.case_id
        )
        for uid, _role, _user in notice.parties
    ]


@dataclass
class Built:
    db: Database
    store: FolderStore
    case_id: int
    number: int


@pytest.fixture
async def built(private_db_url: str, tmp_path: Path, now: datetime) -> AsyncIterator[Built]:
    db = await Database.connect(private_db_url)
    register_head_news(db.engine, _posted)
    store = FolderStore(tmp_path / "evidence")
    try:
        case = await negotiation_case(db, now)
        key = await store.put(PHOTO)
        await db.evidence.add(
            case.id,
            BUYER,
            Role.BUYER,
            "photo",
            "broken goods",
            "damage",
            now,
            telegram_file_id="file-1",
            size=len(PHOTO),
            sha256=key_of(PHOTO),
            store_key=key,
        )
        terms = rules.Proposal((rules.PartialRefund(amount=Decimal("300.50")),))
        proposal = await db.proposals.create(case.id, BUYER, Role.BUYER, terms.to_dict(), now + H)
        due = [
            NewObligation.from_rule(o, "USD")
            for o in rules.obligations(terms, Decimal("1200.00"), "USD", now + H, 7)
        ]
        await db.proposals.accept(
            proposal.id,
            SUPPLIER,
            Role.SUPPLIER,
            now + 2 * H,
            action=Action.ACCEPT_PROPOSAL,
            new_deadline=deadline(DeadlineKind.FULFILMENT, now + 2 * H),
            obligations=due,
        )
        await db.history.append(
            case.id, BUYER, Role.BUYER, "chat.message", {"t": "ok"}, now + 3 * H
        )
        assert case.number is not None
        yield Built(db, store, case.id, case.number)
    finally:
        register_head_news(db.engine, None)
        await db.dispose()


async def _drop_history_guards(db: Database) -> None:
    drops = (
        ["DROP TRIGGER history_events_no_update_delete ON history_events"]
        if db.dialect == "postgresql"
        else ["DROP TRIGGER history_events_no_update", "DROP TRIGGER history_events_no_delete"]
    )
    async with db.engine.begin() as conn:
        for drop in drops:
            await conn.execute(text(drop))


async def _areas(b: Built, **kwargs: Any) -> list[tuple[str, str]]:
    report = await verify_case(b.db, b.store, b.case_id, **kwargs)
    return [(f.area, f.detail) for f in report.findings]


async def test_an_untouched_case_verifies_and_its_heads_were_witnessed(built: Built) -> None:
    events = await built.db.history.list(built.case_id)
    report = await verify_case(built.db, built.store, built.case_id)
    assert report.ok, report.findings
    assert (report.count, report.head_hash) == (len(events), events[-1].hash)
    heads = await built.db.witnessed.list(built.case_id)
    # filed: the buyer alone (no supplier yet); settled: both parties
    assert [(h.milestone, h.audience) for h in heads] == [
        ("filed", "buyer"),
        ("settled", "buyer"),
        ("settled", "supplier"),
    ]
    for head in heads:
        assert events[head.seq - 1].hash == head.hash
    # the facts are in the chain: the claim with its amount, the evidence's hash, the terms
    kinds = {e.kind: e.payload for e in events}
    filed = next(e for e in events if e.payload.get("action") == "submit")
    assert filed.payload["claim"]["amount"] == "1200.00"
    assert filed.payload["category"] == "quality"
    assert kinds["evidence.stored"]["sha256"] == key_of(PHOTO)
    assert kinds["obligation.created"]["amount"] == "300.50"
    # the notices went out through the outbox of the milestone's transaction
    queued = [row.text for row in await built.db.outbox.for_case(built.case_id)]
    assert f"head {heads[-1].seq}:{heads[-1].hash}" in queued


async def test_a_tail_cut_is_caught(built: Built) -> None:
    await _drop_history_guards(built.db)
    heads = await built.db.witnessed.list(built.case_id)
    keep = heads[-1].seq - 2
    async with built.db.engine.begin() as conn:
        await conn.execute(
            delete(history_events).where(
                history_events.c.case_id == built.case_id, history_events.c.seq > keep
            )
        )
    found = await _areas(built)
    assert found[0][0] == "head"
    assert f"events {keep + 1}..{heads[-1].seq} are gone" in found[0][1]


async def test_a_whole_history_deleted_is_caught(built: Built) -> None:
    await _drop_history_guards(built.db)
    async with built.db.engine.begin() as conn:
        await conn.execute(delete(history_events).where(history_events.c.case_id == built.case_id))
    found = await _areas(built)
    assert found[0][0] == "head"
    assert "the whole history is gone" in found[0][1]


async def _rewrite_from(db: Database, case_id: int, seq: int, payload: dict[str, Any]) -> None:
    """Edit event `seq` and recompute every later hash, so the chain holds again."""
    events = await db.history.list(case_id)
    prev = events[seq - 2].hash if seq > 1 else GENESIS_HASH
    async with db.engine.begin() as conn:
        for event in events[seq - 1 :]:
            body = payload if event.seq == seq else event.payload
            digest = event_hash(
                prev,
                case_id=case_id,
                seq=event.seq,
                actor_id=event.actor_id,
                actor_role=event.actor_role.value,
                kind=event.kind,
                payload=body,
                created_at=event.created_at,
            )
            await conn.execute(
                update(history_events)
                .where(history_events.c.id == event.id)
                .values(payload=body, prev_hash=prev, hash=digest)
            )
            prev = digest


async def test_an_edit_with_every_later_hash_recomputed_is_caught(
    built: Built, tmp_path: Path
) -> None:
    events = await built.db.history.list(built.case_id)
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case_file_json(built.number, events)))
    edited = next(e for e in events if e.kind == "evidence.stored")
    await _drop_history_guards(built.db)
    await _rewrite_from(built.db, built.case_id, edited.seq, {**edited.payload, "size": 1})
    assert (await built.db.history.verify(built.case_id)).ok  # the chain alone is fooled
    found = await _areas(built)
    assert found[0][0] == "head"
    assert "altered and the later hashes recomputed" in found[0][1]
    # the case file a party kept names the very event
    with_file = await _areas(built, case_file=read_case_file(case_file))
    assert (
        "case file",
        f"event {edited.seq} (evidence.stored) differs from the case file's "
        f"(evidence.stored, {edited.hash[:12]})",
    ) in with_file


async def test_a_case_amount_edited_is_caught(built: Built) -> None:
    case = await built.db.cases.get(built.case_id)
    assert case is not None
    async with built.db.engine.begin() as conn:
        await conn.execute(
            update(cases)
            .where(cases.c.id == built.case_id)
            .values(claim={**case.filed_claim.record(), "amount": "12000.00"})
        )
    [(area, detail)] = await _areas(built)
    assert area == "case"
    assert detail.startswith("the case: claim is ")
    assert "'12000.00'" in detail and "'1200.00'" in detail


async def test_a_key_the_claim_model_ignores_is_still_caught(built: Built) -> None:
    """The model leaves out keys it does not know; verify compares the column as stored."""
    case = await built.db.cases.get(built.case_id)
    assert case is not None
    async with built.db.engine.begin() as conn:
        await conn.execute(
            update(cases)
            .where(cases.c.id == built.case_id)
            .values(claim={**case.filed_claim.record(), "refund_iban": "DE00 1234"})
        )
    edited = await built.db.cases.get(built.case_id)
    assert edited is not None and edited.claim == case.claim  # the model reads past it
    [(area, detail)] = await _areas(built)
    assert area == "case" and "'refund_iban': 'DE00 1234'" in detail


async def test_a_claim_edited_into_no_claim_is_reported_not_crashed_on(built: Built) -> None:
    case = await built.db.cases.get(built.case_id)
    assert case is not None
    async with built.db.engine.begin() as conn:
        await conn.execute(
            update(cases)
            .where(cases.c.id == built.case_id)
            .values(claim={**case.filed_claim.record(), "amount": "-1200.00"})
        )
    found = await _areas(built)
    assert [area for area, _ in found] == ["case", "case"]
    assert found[0][1].startswith("the case: claim is not a claim (amount: ")
    assert "'-1200.00'" in found[1][1] and "'1200.00'" in found[1][1]


async def test_an_evidence_hash_edited_in_the_table_is_caught(built: Built) -> None:
    async with built.db.engine.begin() as conn:
        await conn.execute(
            update(evidence).where(evidence.c.case_id == built.case_id).values(sha256="ab" * 32)
        )
    found = await _areas(built)
    assert found[0][0] == "evidence"
    assert found[0][1].startswith("evidence E1: sha256 is 'abab")


class _Telegram:
    """Telegram's copy of the file, as `get_file` gives it (the file id still works)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.asked = data, 0

    async def get_file(self, file_id: str) -> _Telegram:
        assert file_id == "file-1"
        self.asked += 1
        return self

    async def download_as_bytearray(self) -> bytearray:
        return bytearray(self.data)


async def test_a_corrupted_evidence_file_is_caught_and_replaced_from_telegram(
    built: Built,
) -> None:
    path = built.store.path_for(key_of(PHOTO))
    path.write_bytes(b"something else")
    [(area, detail)] = await _areas(built)
    assert (area, detail) == (
        "file",
        "evidence E1: the stored file does not match its SHA-256; "
        "not replaced (no TELEGRAM_BOT_TOKEN to fetch it again)",
    )
    telegram = _Telegram(PHOTO)
    [(area, detail)] = await _areas(built, bot=cast(Bot, telegram))
    assert detail.endswith("replaced from Telegram with a copy that matches")
    assert path.read_bytes() == PHOTO
    assert (await verify_case(built.db, built.store, built.case_id)).ok
    # a copy Telegram no longer has right is never put in its place
    path.write_bytes(b"bad again")
    [(_, detail)] = await _areas(built, bot=cast(Bot, _Telegram(b"other bytes")))
    assert detail.endswith("not replaced (Telegram's copy has another SHA-256)")
    assert path.read_bytes() == b"bad again"


async def test_witnessed_rows_deleted_still_fail_against_the_head_a_party_kept(
    built: Built,
) -> None:
    """The parties hold the head outside our database: deleting our rows of it does not help."""
    [*_, last] = await built.db.witnessed.list(built.case_id)
    [first, *_] = await built.db.history.list(built.case_id)
    await _drop_history_guards(built.db)
    async with built.db.engine.begin() as conn:
        await conn.execute(delete(witnessed_heads))
    await _rewrite_from(built.db, built.case_id, 1, {**first.payload, "state": "edited"})
    assert not await _areas(built)  # nothing left in the database says otherwise
    kept = Head(last.seq, last.hash, "kept by the buyer")
    [(area, detail)] = await _areas(built, heads=[kept])
    assert area == "head"
    assert detail.startswith(f"event {last.seq} does not have the hash {last.hash[:12]}")
    assert "(kept by the buyer): an event between 1 and" in detail
