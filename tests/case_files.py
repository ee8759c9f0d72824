"""Case files built directly from the model, for the PDF's tests and benchmark.

`sample_case_file` makes a case taken from the claim through mediation to a decision: a
Chinese buyer, an English-writing supplier, evidence (photos, a document, a written
statement), proposals, blind bidding that ended without a settlement, a request for evidence,
a mediator's proposal, a decision with reasons, obligations. `events` and `items` make it as
large as wanted. Every hash is derived from the case's numbers, so each is distinct and known.
"""

from __future__ import annotations

import hashlib
import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from PIL import Image

from flows.case_file_model import (
    BiddingEntry,
    CaseFile,
    CaseSummary,
    DecisionEntry,
    EventEntry,
    EvidenceEntry,
    EvidenceRequestEntry,
    Head,
    MediatorProposalEntry,
    ObligationEntry,
    Party,
    ProposalEntry,
    Reader,
)
from flows.rules.claim import Claim

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
DESCRIPTION = "收到的杯子有裂纹，包装完好。二十个里面有七个不能用。"
SUPPLIER_STATEMENT = "The cups left our warehouse intact; see the packing video E2."
REASONS = (
    "The photos E1 and E3 show cracks that a fall in transit would not make; the supplier's "
    "packing video E2 does not show the cups themselves. The supplier refunds the seven cups."
)
BID_AMOUNTS = ("4321.87", "3987.65")  # what the parties bid: never in any copy


def digest(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def colour(seed: int) -> tuple[int, int, int]:
    return (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)


def thumbnail(seed: int, size: tuple[int, int] = (90, 68), *, noise: bool = False) -> bytes:
    """A small JPEG, as Telegram's photo thumbnails are (about 90 px and a few KB): one colour
    per seed, or random noise (which compresses badly: a few KB each, as photos do)."""
    if noise:
        image = Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, colour(seed))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _claim() -> Claim:
    return Claim(
        order_number="SO-2026-0147",
        order_date=date(2026, 2, 1),
        product="陶瓷杯 Ceramic cups",
        quantity=20,
        currency="USD",
        amount=Decimal("1250.50"),
        supplier_name="Hangzhou Ceramics Ltd",
        supplier_contact="sales@example.com",
        category="quality_defect",
        key_date=date(2026, 2, 20),
        description=DESCRIPTION,
        outcome="partial_refund",
        outcome_amount=Decimal("437.50"),
    )


_KINDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("case.created", "buyer", {}),
    ("case.transition", "buyer", {"action": "submit", "from": "draft", "to": "awaiting_supplier"}),
    ("evidence.added", "buyer", {"number": 1}),
    ("case.supplier_joined", "supplier", {}),
    ("proposal.made", "supplier", {"number": 1}),
    # A figure in an event's details (the builder leaves them out) is never shown either.
    ("bids.bid_placed", "buyer", {"round_no": 1, "role": "buyer", "amount": BID_AMOUNTS[0]}),
    ("bids.round_resolved", "system", {"round_no": 1, "midpoint": BID_AMOUNTS[1]}),
    ("chat.message", "supplier", {"text": "hello"}),
    ("evidence.requested", "mediator", {"number": 1, "what": "照片"}),
    ("decision.issued", "mediator", {"number": 1}),
    ("obligation.created", "system", {"number": 1}),
    ("pool.posted", "system", {}),
    ("a.kind_this_version_does_not_know", "system", {}),
)


def _events(count: int) -> list[EventEntry]:
    events, previous = [], "0" * 64
    for seq in range(1, count + 1):
        kind, role, details = _KINDS[(seq - 1) % len(_KINDS)]
        withheld = seq % 11 == 0
        entry = EventEntry(
            seq=seq,
            at=START + timedelta(minutes=37 * seq),
            kind=kind,
            actor_role=role,
            hash=digest("event", seq),
            prev_hash=previous,
            withheld=withheld,
            details={} if withheld else details,
        )
        events.append(entry)
        previous = entry.hash
    return events


def _evidence(count: int) -> list[EvidenceEntry]:
    items = [
        EvidenceEntry(
            number=1, kind="photo", label="裂纹照片", tag="defect", submitter_role="buyer",
            submitted_at=START + timedelta(hours=1), file_name="cracks.jpg",
            mime_type="image/jpeg", size=184_320, sha256=digest("evidence", 1),
        ),
        EvidenceEntry(
            number=2, kind="video", label="Packing video", tag="delivery",
            submitter_role="supplier", submitted_at=START + timedelta(days=1),
            file_name="packing.mp4", mime_type="video/mp4", size=9_437_184,
            sha256=digest("evidence", 2),
        ),
        EvidenceEntry(
            number=3, kind="statement", label="Supplier's account", tag="communication",
            submitter_role="supplier", submitted_at=START + timedelta(days=1, hours=2),
            text=SUPPLIER_STATEMENT,
        ),
        EvidenceEntry(
            number=4, kind="document", label="微信聊天截图", tag="chat_screenshot",
            submitter_role="buyer", submitted_at=START + timedelta(days=2),
            file_name="chat.png", size=52_000, sha256=digest("evidence", 4),
            authenticity="disputed", lateness="accepted",
        ),
    ]  # fmt: skip
    for number in range(len(items) + 1, count + 1):
        items.append(
            EvidenceEntry(
                number=number,
                kind="photo",
                label=f"Photo {number} 照片",
                tag="defect",
                submitter_role="buyer" if number % 2 else "supplier",
                submitted_at=START + timedelta(days=2, minutes=number),
                file_name=f"photo-{number}.jpg",
                size=100_000 + number,
                sha256=digest("evidence", number),
            )
        )
    return items[:count]


def sample_case_file(
    *, language: str = "en", role: str = "buyer", events: int = 24, items: int = 4, **changes: Any
) -> CaseFile:
    history = _events(events)
    terms: dict[str, Any] = {"terms": [{"kind": "partial_amount", "amount": "437.50"}]}
    fields: dict[str, Any] = dict(
        generated_at=START + timedelta(days=30),
        reader=Reader(role=role, language=language, time_zone="Asia/Shanghai"),
        case=CaseSummary(
            number=12, state="closed", outcome="fulfilled", category="quality_defect",
            filed_at=START, decided_at=START + timedelta(days=20),
            closed_at=START + timedelta(days=28),
        ),
        parties=[
            Party(role="buyer", name="王芳", username="wangfang", language="zh_Hans"),
            Party(role="supplier", name="Anna Li", language="en"),
            Party(role="mediator", name="Sam Mediator", username="sam_m"),
        ],
        claim=_claim(),
        events=history,
        evidence=_evidence(items),
        proposals=[
            ProposalEntry(
                number=1, author_role="supplier", source="party", terms=terms,
                summary="Partial refund of US$200.00", status="rejected",
                made_at=START + timedelta(days=3), decided_at=START + timedelta(days=4),
            ),
            ProposalEntry(
                number=2, author_role="buyer", source="claim", terms=terms,
                summary="部分退款 US$437.50", status="superseded",
                made_at=START + timedelta(days=5),
            ),
        ],
        blind_bidding=[
            BiddingEntry(
                status="exhausted", offered_by_role="buyer", rounds=3,
                started_at=START + timedelta(days=6), ended_at=START + timedelta(days=8),
            )
        ],
        evidence_requests=[
            EvidenceRequestEntry(
                number=1, party_role="supplier", what="Please send the courier's damage report.",
                due_at=START + timedelta(days=12), status="met", answered_by=[3],
                made_at=START + timedelta(days=10),
            )
        ],
        mediator_proposals=[
            MediatorProposalEntry(
                number=3, terms=terms, summary="Partial refund of US$350.00", status="rejected",
                made_at=START + timedelta(days=14),
            )
        ],
        decisions=[
            DecisionEntry(
                number=1, outcome="terms", terms=terms, summary="Partial refund of US$437.50",
                reasons=REASONS, cited=[1, 2, 3], status="in_force",
                issued_at=START + timedelta(days=20),
            )
        ],
        obligations=[
            ObligationEntry(
                number=1, party_role="supplier", kind="refund",
                summary="The supplier refunds US$437.50 to the buyer",
                amount=Decimal("437.50"), currency="USD",
                due_at=START + timedelta(days=27), status="confirmed",
                done_at=START + timedelta(days=25), proof_evidence=4,
                confirmed_at=START + timedelta(days=26), decision=1,
            )
        ],
        head=Head(seq=len(history), hash=history[-1].hash if history else "0" * 64),
        verify_command="disputebot verify case-12.json",
    )  # fmt: skip
    fields.update(changes)
    return CaseFile(**fields)
