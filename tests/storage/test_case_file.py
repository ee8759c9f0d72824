"""The case file built from the database for each reader (flows/case_file_build.py), on both
databases: a mediator-only item is in the mediator's and the operator's copy and nowhere in a
party's (its events withheld), no blind bid's figure is in anyone's, every copy is valid against
the committed schema, and `verify` takes a version-1 file and names what was altered after it.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image
from sqlalchemy import update

from flows.case_audit import read_case_file, verify_case
from flows.case_file_build import BuiltCaseFile, build_case_file, case_file_json_bytes
from flows.case_file_command import pdf_within
from flows.case_file_model import CaseFile
from flows.case_file_pdf import CaseFileTooLarge, render_pdf
from flows.case_file_schema import SCHEMA_PATH
from flows.evidence_store import FolderStore, key_of
from flows.rules import proposals as rules
from flows.rules.blind_bid import match
from flows.rules.lifecycle import Action, DeadlineKind, Role
from locales.i18n import Catalogs
from storage import Database, Move, NewObligation
from storage.tables import decisions, evidence, evidence_requests
from tests.storage.factory import BUYER, MEDIATOR, SUPPLIER, deadline, negotiation_case

H = timedelta(hours=1)


def _photo() -> bytes:
    """A real JPEG (a thumbnail the PDF can draw), the same bytes every run."""
    image = Image.radial_gradient("L").resize((400, 400)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


PHOTO = _photo()
LEDGER = b"the supplier's own ledger, for the mediator only " * 40
SECRET_LABEL = "Internal cost ledger 7Q"
BIDS = ("987.65", "12.34")  # the buyer's least, the supplier's most: far apart
REASONS = "The photos E1 show the cracks; the supplier's answer does not meet them."


async def _case(db: Database, store: FolderStore, now: datetime) -> int:
    """Filed, bidding exhausted without a figure shown, mediated with a request met by a
    mediator-only item, decided citing E1."""
    case = await negotiation_case(db, now)
    await db.evidence.add(
        case.id, BUYER, Role.BUYER, "photo", "Cracked casings", "defect", now,
        sha256=key_of(PHOTO), store_key=await store.put(PHOTO), size=len(PHOTO),
    )  # fmt: skip
    await db.bids.offer(case.id, Role.BUYER, now)
    await db.bids.opt_in(case.id, Role.SUPPLIER, now)
    await db.bids.place_bid(case.id, 1, Role.BUYER, Decimal(BIDS[0]), now)
    await db.bids.place_bid(case.id, 1, Role.SUPPLIER, Decimal(BIDS[1]), now)
    result = match(Decimal(BIDS[0]), Decimal(BIDS[1]), Decimal("1200.00"), "USD")
    await db.bids.resolve(case.id, 1, result.kind.value, result.amount, now, 1)
    await db.cases.transition(case.id, Action.ESCALATE, None, Role.SYSTEM, now + H)
    await db.cases.transition(case.id, Action.ASSIGN_MEDIATOR, MEDIATOR, Role.MEDIATOR, now + H)
    ask = deadline(DeadlineKind.EVIDENCE_REQUEST, now + H)
    await db.evidence_requests.create(
        case.id, MEDIATOR, Role.SUPPLIER, "Your cost records", ask, now + H, lambda r: []
    )
    await db.evidence.add(
        case.id, SUPPLIER, Role.SUPPLIER, "document", SECRET_LABEL, "other", now + 2 * H,
        sha256=key_of(LEDGER), store_key=await store.put(LEDGER), size=len(LEDGER),
        mediator_only=True, file_name="ledger.pdf",
    )  # fmt: skip
    await db.evidence_requests.answer(case.id, Role.SUPPLIER, 2, now + 2 * H, lambda a: [])
    await db.cases.transition(case.id, Action.TO_ARBITRATION, MEDIATOR, Role.MEDIATOR, now + 3 * H)
    terms = rules.Proposal((rules.PartialRefund(amount=Decimal("300")),))
    duties = rules.obligations(terms, Decimal("1200.00"), "USD", now + 4 * H, 7)
    await db.decisions.issue(
        case.id, MEDIATOR, now + 4 * H, terms=terms.to_dict(), reasons=REASONS, cited=[1],
        no_evidence=False, new_obligations=[NewObligation.from_rule(o, "USD") for o in duties],
        move=_decide(now + 4 * H),
    )  # fmt: skip
    return case.id


def _decide(now: datetime) -> Move:
    return Move(
        Action.DECIDE,
        MEDIATOR,
        Role.MEDIATOR,
        new_deadline=deadline(DeadlineKind.FULFILMENT, now),
    )


async def _built(
    db: Database, store: FolderStore, case_id: int, role: Any, language: str, now: datetime
) -> BuiltCaseFile:
    case = await db.cases.get(case_id)
    assert case is not None
    tr = Catalogs().translator(language, "Asia/Shanghai" if language == "zh_Hans" else "UTC")
    return await build_case_file(db, store, case, role, tr, now)


def _valid(case_file: CaseFile) -> str:
    text = case_file_json_bytes(case_file).decode("utf-8")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(text), schema, cls=jsonschema.Draft202012Validator)
    return text


async def test_a_mediator_only_item_is_in_no_partys_copy_and_no_bid_figure_in_any(
    db: Database, now: datetime, tmp_path: Path
) -> None:
    store = FolderStore(tmp_path / "evidence")
    case_id = await _case(db, store, now)
    later = now + 5 * H
    buyer = await _built(db, store, case_id, "buyer", "en", later)
    supplier = await _built(db, store, case_id, "supplier", "zh_Hans", later)
    mediator = await _built(db, store, case_id, "mediator", "en", later)
    operator = await _built(db, store, case_id, "operator", "en", later)

    secret = (SECRET_LABEL, key_of(LEDGER), f'"size": {len(LEDGER)}', "ledger.pdf")
    for party in (buyer, supplier):
        text = _valid(party.case_file)
        assert [e.number for e in party.case_file.evidence] == [1]
        assert not [s for s in secret if s in text], party.case_file.reader
        withheld = [e for e in party.case_file.events if e.withheld]
        assert {e.kind for e in withheld} == {
            "evidence.added",
            "evidence.stored",
            "evidence.request_answered",
        }
        assert all(e.details == {} for e in withheld)
        assert party.case_file.evidence_requests[0].answered_by == []
        assert party.thumbnails == {1: PHOTO}
    for everyone in (mediator, operator):
        text = _valid(everyone.case_file)
        assert all(s in text for s in secret)
        assert [e.number for e in everyone.case_file.evidence] == [1, 2]
        assert not any(e.withheld for e in everyone.case_file.events)
        assert everyone.case_file.evidence_requests[0].answered_by == [2]

    for copy in (buyer, supplier, mediator, operator):
        text = case_file_json_bytes(copy.case_file).decode("utf-8")
        for figure in BIDS:
            assert figure not in text and figure.replace(".", ",") not in text
        [bidding] = copy.case_file.blind_bidding
        assert (bidding.status, bidding.rounds) == ("exhausted", 1)
        events = copy.case_file.events
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert copy.case_file.head.hash == events[-1].hash
        [decision] = copy.case_file.decisions
        assert (decision.number, decision.reasons, decision.cited) == (1, REASONS, [1])
    # A PDF over the upload limit is made again without its thumbnails.
    tr = Catalogs().translator("en")
    full, shrunk = pdf_within(buyer, tr, 10**9)
    assert shrunk is False
    bare = render_pdf(buyer.case_file, tr, tr.tz, {})
    assert len(bare) < len(full)
    small, shrunk = pdf_within(buyer, tr, len(bare) + 64)
    assert shrunk and small.startswith(b"%PDF") and len(small) <= len(bare) + 64
    with pytest.raises(CaseFileTooLarge):
        pdf_within(buyer, tr, 100)  # not even without thumbnails
    # Summaries in the reader's language: the supplier's copy is in Chinese.
    assert "退款" in supplier.case_file.decisions[0].summary
    assert "refund" in buyer.case_file.decisions[0].summary.lower()
    assert supplier.case_file.reader.time_zone == "Asia/Shanghai"


@pytest.mark.parametrize("role", ["buyer", "mediator"])
async def test_verify_accepts_a_version_1_file_and_names_what_was_altered_after_it(
    db: Database, now: datetime, tmp_path: Path, role: str
) -> None:
    store = FolderStore(tmp_path / "evidence")
    case_id = await _case(db, store, now)
    built = await _built(db, store, case_id, role, "en", now + 5 * H)
    path = tmp_path / "case-1.json"
    path.write_bytes(case_file_json_bytes(built.case_file))
    record = read_case_file(path)
    assert record.version == 1 and record.case_number == 1
    report = await verify_case(db, store, case_id, case_file=record)
    assert report.ok, report.findings

    async with db.engine.begin() as conn:
        await conn.execute(
            update(decisions).where(decisions.c.case_id == case_id).values(reasons="Altered.")
        )
    report = await verify_case(db, store, case_id, case_file=record)
    assert [(f.area, f.detail) for f in report.findings] == [
        ("case file", "decision D1: the database and the case file differ in its reasons")
    ]


async def test_verify_names_an_evidence_hash_that_differs_from_the_files(
    db: Database, now: datetime, tmp_path: Path
) -> None:
    store = FolderStore(tmp_path / "evidence")
    case_id = await _case(db, store, now)
    built = await _built(db, store, case_id, "supplier", "zh_Hans", now + 5 * H)
    data = json.loads(case_file_json_bytes(built.case_file))
    data["evidence"][0]["sha256"] = "0" * 64
    path = tmp_path / "case-1.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    report = await verify_case(db, store, case_id, case_file=read_case_file(path))
    assert [(f.area, f.detail) for f in report.findings] == [
        (
            "case file",
            f"evidence E1: the SHA-256 in the database ({key_of(PHOTO)}) "
            f"is not the case file's ({'0' * 64})",
        )
    ]


async def test_a_removed_mediator_only_draft_item_stays_withheld(
    db: Database, now: datetime, tmp_path: Path
) -> None:
    store = FolderStore(tmp_path / "evidence")
    case = await negotiation_case(db, now)
    await db.evidence.add(
        case.id, SUPPLIER, Role.SUPPLIER, "statement", SECRET_LABEL, "other", now,
        text="only for the mediator", mediator_only=True,
    )  # fmt: skip
    async with db.engine.begin() as conn:  # as a draft item taken back leaves it
        await conn.execute(update(evidence).values(removed_at=now))
    built = await _built(db, store, case.id, "buyer", "en", now)
    text = _valid(built.case_file)
    assert SECRET_LABEL not in text and "only for the mediator" not in text
    assert [e.kind for e in built.case_file.events if e.withheld] == ["evidence.added"]


async def test_a_file_made_earlier_verifies_after_the_case_moved_on_but_not_after_an_edit(
    db: Database, now: datetime, tmp_path: Path
) -> None:
    store = FolderStore(tmp_path / "evidence")
    case_id = await _case(db, store, now)
    built = await _built(db, store, case_id, "buyer", "en", now + 5 * H)
    path = tmp_path / "case-1.json"
    path.write_bytes(case_file_json_bytes(built.case_file))
    # Later, an item is added: the file is older, not contradicted.
    await db.evidence.add(
        case_id, BUYER, Role.BUYER, "statement", "Paid by card", "payment", now + 6 * H,
        text="Paid by card",
    )  # fmt: skip
    report = await verify_case(db, store, case_id, case_file=read_case_file(path))
    assert report.ok, report.findings
    async with db.engine.begin() as conn:
        await conn.execute(
            update(evidence_requests)
            .where(evidence_requests.c.case_id == case_id)
            .values(what="Anything at all")
        )
    report = await verify_case(db, store, case_id, case_file=read_case_file(path))
    assert [f.detail for f in report.findings] == [
        "evidence request R1: the database and the case file differ in its wording"
    ]
