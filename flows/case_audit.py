"""`disputebot verify` and `export`: a case's record checked end to end, and written out.

`verify_case` runs the database's checks (`storage/audit.py`: the chain, the witnessed heads,
the live rows), then every stored evidence file against its SHA-256 (a bad or missing copy is
reported and, given a bot, replaced from Telegram when its file id still works), then, given
one, a case file against the database. `export_case` writes the minimal case file and the
evidence files, each checked against its SHA-256 first.

The case file's shape, for now (issue 10 part 1 extends it with the claim, the evidence
index, proposals and the decision; `verify` keeps reading these keys):

    {"format": "disputebot-case-file", "version": 0, "case_number": 12,
     "events": [{"seq": 1, "kind": "case.created", "hash": "<64 hex>", "prev_hash": "<64 hex>"}],
     "head": {"seq": 1, "hash": "<64 hex>"}}
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from flows.evidence_store import EvidenceStore, key_of
from storage import GENESIS_HASH, Database
from storage.audit import Audit, Finding, Head
from storage.records import Evidence, HistoryEvent

__all__ = [
    "CASE_FILE_FORMAT",
    "CaseFile",
    "CaseFileError",
    "Report",
    "case_file_json",
    "export_case",
    "read_case_file",
    "verify_case",
]

log = logging.getLogger(__name__)

CASE_FILE_FORMAT = "disputebot-case-file"
CASE_FILE_VERSION = 0


class CaseFileError(Exception):
    """The case file cannot be read or does not have the documented shape."""


@dataclass(frozen=True)
class FileEvent:
    seq: int
    kind: str
    hash: str
    prev_hash: str


@dataclass(frozen=True)
class CaseFile:
    case_number: int
    events: list[FileEvent]
    head: Head


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


def _hex(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) != 64:
        raise CaseFileError(f"{where} is not a SHA-256 in hex")
    try:
        int(value, 16)
    except ValueError:
        raise CaseFileError(f"{where} is not a SHA-256 in hex") from None
    return value.lower()


def _int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CaseFileError(f"{where} is not a whole number")
    return value


def read_case_file(path: Path) -> CaseFile:
    """The case file at `path`, in the documented shape; CaseFileError otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaseFileError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise CaseFileError(f"{path} has no list of events")
    head = data.get("head")
    if not isinstance(head, dict):
        raise CaseFileError(f"{path} has no head")
    events = []
    for index, item in enumerate(data["events"]):
        where = f"events[{index}]"
        if not isinstance(item, dict):
            raise CaseFileError(f"{where} is not an object")
        events.append(
            FileEvent(
                seq=_int(item.get("seq"), f"{where}.seq"),
                kind=str(item.get("kind", "")),
                hash=_hex(item.get("hash"), f"{where}.hash"),
                prev_hash=_hex(item.get("prev_hash"), f"{where}.prev_hash"),
            )
        )
    return CaseFile(
        case_number=_int(data.get("case_number"), "case_number"),
        events=events,
        head=Head(
            _int(head.get("seq"), "head.seq"), _hex(head.get("hash"), "head.hash"), "the case file"
        ),
    )


def case_file_json(number: int, events: Sequence[HistoryEvent]) -> dict[str, Any]:
    """The minimal case file of a case whose history is `events`."""
    return {
        "format": CASE_FILE_FORMAT,
        "version": CASE_FILE_VERSION,
        "case_number": number,
        "events": [
            {"seq": e.seq, "kind": e.kind, "hash": e.hash, "prev_hash": e.prev_hash} for e in events
        ],
        "head": {
            "seq": len(events),
            "hash": events[-1].hash if events else GENESIS_HASH,
        },
    }


def _case_file_findings(events: Sequence[HistoryEvent], case_file: CaseFile) -> list[Finding]:
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
    case_file: CaseFile | None = None,
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
    findings += await _file_findings(await db.evidence.list(case_id), store, bot)
    return Report(audit.case.number, len(audit.events), audit.head_hash, findings)


async def export_case(
    db: Database, store: EvidenceStore, case_id: int, out: Path
) -> tuple[Path, list[Finding]]:
    """Write `case-<n>.json` and the evidence files (`E<n>-<sha256 prefix><suffix>`) to `out`;
    a file whose stored copy does not match its SHA-256 is left out and reported."""
    case = await db.cases.get(case_id)
    if case is None or case.number is None:
        raise CaseFileError(f"case {case_id} is not a filed case")
    events = await db.history.list(case_id)
    target = out / f"case-{case.number}.json"
    document = case_file_json(case.number, events)
    files: dict[Path, bytes] = {
        target: (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
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
