"""`disputebot verify` and `export`: a case's record checked end to end, and written out.

`verify_case` runs the database's checks (`storage/audit.py`: the chain, the witnessed heads,
the live rows), then every stored evidence file against its SHA-256 (a bad or missing copy is
reported and, given a bot, replaced from Telegram when its file id still works), then, given
one, a case file against the database: its chain and head (both versions), and for a version-1
file its evidence hashes, decisions and evidence requests (`flows/case_file_check.py`).
`export_case` writes the operator's case file (JSON, version 1, and the PDF) and the evidence
files, each checked against its SHA-256 first.

Version 0, the minimal shape of the first export, is still read (`case_file_json` writes it):

    {"format": "disputebot-case-file", "version": 0, "case_number": 12,
     "events": [{"seq": 1, "kind": "case.created", "hash": "<64 hex>", "prev_hash": "<64 hex>"}],
     "head": {"seq": 1, "hash": "<64 hex>"}}
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from flows.case_file_build import build_case_file, case_file_json_bytes
from flows.case_file_check import CaseFileError, FileRecord, model_findings, read_case_file
from flows.case_file_model import CASE_FILE_FORMAT
from flows.evidence_store import EvidenceStore, key_of
from locales.i18n import Translator
from storage import GENESIS_HASH, Database
from storage.audit import Audit, Finding, Head
from storage.records import Evidence, HistoryEvent

__all__ = [
    "CASE_FILE_FORMAT",
    "CaseFileError",
    "FileRecord",
    "Report",
    "case_file_json",
    "export_case",
    "read_case_file",
    "verify_case",
]

log = logging.getLogger(__name__)

CASE_FILE_VERSION_0 = 0


@dataclass(frozen=True)
class Report:
    """What `verify` found: nothing (ok) or the findings, the first one first."""

    case_number: int | None
    count: int
    head_hash: str
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


def case_file_json(number: int, events: Sequence[HistoryEvent]) -> dict[str, Any]:
    """The version-0 case file of a case whose history is `events` (what the first `export`
    wrote; `verify` still reads it)."""
    return {
        "format": CASE_FILE_FORMAT,
        "version": CASE_FILE_VERSION_0,
        "case_number": number,
        "events": [
            {"seq": e.seq, "kind": e.kind, "hash": e.hash, "prev_hash": e.prev_hash} for e in events
        ],
        "head": {
            "seq": len(events),
            "hash": events[-1].hash if events else GENESIS_HASH,
        },
    }


def _case_file_findings(events: Sequence[HistoryEvent], case_file: FileRecord) -> list[Finding]:
    """The first event where the database and the case file part, if any."""
    prev = GENESIS_HASH
    for expected, item in enumerate(case_file.events, start=1):
        if item.seq != expected or item.prev_hash != prev:
            return [Finding("case file", f"the case file itself is broken at event {expected}")]
        prev = item.hash
        if expected > len(events):
            missing = f"event {expected} ({item.kind}) of the case file is not in the database"
            return [Finding("case file", missing, expected)]
        ours = events[expected - 1]
        if ours.hash != item.hash or ours.kind != item.kind:
            return [
                Finding(
                    "case file",
                    f"event {expected} ({ours.kind}) differs from the case file's "
                    f"({item.kind}, {item.hash[:12]})",
                    expected,
                )
            ]
    return []


async def _file_findings(
    items: Sequence[Evidence], store: EvidenceStore, bot: Bot | None
) -> list[Finding]:
    """Each stored file against its SHA-256; a bad copy replaced from Telegram when it can be."""
    found: list[Finding] = []
    for item in items:
        if item.sha256 is None or item.store_key is None:
            continue
        data = await store.get(item.store_key)
        if data is not None and key_of(data) == item.sha256:
            continue
        what = "is missing from the store" if data is None else "does not match its SHA-256"
        outcome = await _replace(item, store, bot)
        found.append(Finding("file", f"evidence E{item.number}: the stored file {what}; {outcome}"))
    return found


async def _replace(item: Evidence, store: EvidenceStore, bot: Bot | None) -> str:
    if bot is None:
        return "not replaced (no TELEGRAM_BOT_TOKEN to fetch it again)"
    if item.telegram_file_id is None:
        return "not replaced (it has no Telegram file id)"
    try:
        telegram_file = await bot.get_file(item.telegram_file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("evidence E%s of case %s: Telegram refused: %s", item.number, item.case_id, exc)
        return f"not replaced (Telegram: {exc.message})"
    if key_of(data) != item.sha256:
        return "not replaced (Telegram's copy has another SHA-256)"
    await store.replace(data)
    log.info("evidence E%s of case %s replaced from Telegram", item.number, item.case_id)
    return "replaced from Telegram with a copy that matches"


async def verify_case(
    db: Database,
    store: EvidenceStore,
    case_id: int,
    *,
    heads: Sequence[Head] = (),
    case_file: FileRecord | None = None,
    bot: Bot | None = None,
) -> Report:
    """Everything `disputebot verify` checks for one case."""
    extra = [*heads, *([case_file.head] if case_file is not None else [])]
    audit: Audit = await db.audit.case(case_id, heads=extra)
    findings = list(audit.findings)
    if case_file is not None:
        if audit.case.number != case_file.case_number:
            findings.append(
                Finding("case file", f"the case file is of case #{case_file.case_number}")
            )
        findings += _case_file_findings(audit.events, case_file)
        if case_file.full is not None:
            findings += model_findings(
                case_file.full,
                await db.evidence.list(case_id),
                await db.decisions.list(case_id),
                await db.evidence_requests.list(case_id),
                current=case_file.head.seq == len(audit.events)
                and case_file.head.hash == audit.head_hash,
            )
    findings += await _file_findings(await db.evidence.list(case_id), store, bot)
    return Report(audit.case.number, len(audit.events), audit.head_hash, findings)


async def export_case(
    db: Database, store: EvidenceStore, case_id: int, out: Path, tr: Translator, now: datetime
) -> tuple[Path, list[Finding]]:
    """Write the operator's case file (`case-<n>.json`, version 1, and `case-<n>.pdf`, in
    `tr`'s language and zone) and the evidence files (`E<n>-<sha256 prefix><suffix>`) to `out`;
    a file whose stored copy does not match its SHA-256 is left out and reported."""
    from flows.case_file_pdf import render_pdf  # fpdf2 and Pillow: only when a PDF is made

    case = await db.cases.get(case_id)
    if case is None or case.number is None:
        raise CaseFileError(f"case {case_id} is not a filed case")
    built = await build_case_file(db, store, case, "operator", tr, now)
    target = out / f"case-{case.number}.json"
    files: dict[Path, bytes] = {
        target: await asyncio.to_thread(case_file_json_bytes, built.case_file),
        out / f"case-{case.number}.pdf": await asyncio.to_thread(
            render_pdf, built.case_file, tr, tr.tz, built.thumbnails
        ),
    }
    problems: list[Finding] = []
    for item in await db.evidence.list(case_id):
        if item.sha256 is None or item.store_key is None:
            continue
        data = await store.get(item.store_key)
        if data is None or key_of(data) != item.sha256:
            problems.append(
                Finding("file", f"evidence E{item.number}: the stored copy is missing or bad")
            )
            continue
        suffix = Path(item.file_name).suffix if item.file_name else ""
        files[out / f"E{item.number}-{item.sha256[:12]}{suffix}"] = data
    await asyncio.to_thread(_write_all, out, files)
    return target, problems


def _write_all(out: Path, files: dict[Path, bytes]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        path.write_bytes(data)
