"""Reading a case file back, and what `verify` compares of it with the database.

Both versions are read: version 0 (the minimal shape of the first `disputebot export`:
`case_number`, the events' seq, kind and hashes, and the head) by hand, and version 1 (the
whole case file, `flows/case_file_model.py`) by its pydantic model. The chain and the head are
checked the same way for both (`flows/case_audit.py`); a version-1 file is also compared, fact
by fact, with the live tables: each evidence item's SHA-256, each decision (number, outcome,
reasons, cited items) and each evidence request (party, what, due time, status, answers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flows.case_file_model import CASE_FILE_FORMAT, CaseFile, DecisionEntry, EvidenceRequestEntry
from storage import Decision, Evidence, EvidenceRequest
from storage.audit import Finding, Head

__all__ = ["CaseFileError", "FileEvent", "FileRecord", "model_findings", "read_case_file"]


class CaseFileError(Exception):
    """The case file cannot be read or does not have the documented shape."""


@dataclass(frozen=True)
class FileEvent:
    seq: int
    kind: str
    hash: str
    prev_hash: str


@dataclass(frozen=True)
class FileRecord:
    """What `verify` checks of a case file: its chain and head, and (version 1) the whole file."""

    case_number: int
    events: list[FileEvent]
    head: Head
    version: int = 0
    full: CaseFile | None = None  # version 1


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


def _version_0(data: dict[str, Any], path: Path) -> FileRecord:
    if not isinstance(data.get("events"), list):
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
    return FileRecord(
        case_number=_int(data.get("case_number"), "case_number"),
        events=events,
        head=Head(
            _int(head.get("seq"), "head.seq"), _hex(head.get("hash"), "head.hash"), "the case file"
        ),
    )


def _version_1(data: dict[str, Any], path: Path) -> FileRecord:
    try:
        full = CaseFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        raise CaseFileError(f"{path}: {where}: {first['msg']}") from None
    return FileRecord(
        case_number=full.case.number,
        events=[FileEvent(e.seq, e.kind, e.hash, e.prev_hash) for e in full.events],
        head=Head(full.head.seq, full.head.hash, "the case file"),
        version=1,
        full=full,
    )


def read_case_file(path: Path) -> FileRecord:
    """The case file at `path` (version 0 or 1); CaseFileError when it is neither."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaseFileError(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CaseFileError(f"{path} is not a case file (not a JSON object)")
    if data.get("format", CASE_FILE_FORMAT) != CASE_FILE_FORMAT:
        raise CaseFileError(f"{path} is not a case file (format {data.get('format')!r})")
    version = data.get("version", 0)
    if version == 0:
        return _version_0(data, path)
    if version == 1:
        return _version_1(data, path)
    raise CaseFileError(f"{path} is a case file of version {version!r}, which this cannot read")


def _evidence_findings(full: CaseFile, items: Sequence[Evidence]) -> list[Finding]:
    ours = {item.number: item for item in items}
    for entry in full.evidence:
        item = ours.get(entry.number)
        if item is None:
            return [Finding("case file", f"evidence E{entry.number} is not in the database")]
        if entry.sha256 is not None and item.sha256 != entry.sha256:
            return [
                Finding(
                    "case file",
                    f"evidence E{entry.number}: the SHA-256 in the database ({item.sha256}) "
                    f"is not the case file's ({entry.sha256})",
                )
            ]
    listed = {entry.number for entry in full.evidence}
    everyone = full.reader.role in ("mediator", "operator")
    for item in items:
        visible = everyone or not item.mediator_only
        if item.number not in listed and visible and item.created_at <= full.generated_at:
            return [Finding("case file", f"evidence E{item.number} is not in the case file")]
    return []


def _decision_fields(decision: Decision | DecisionEntry) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "reasons": decision.reasons,
        "cited": sorted(decision.cited),
    }


def _decision_findings(full: CaseFile, decisions: Sequence[Decision]) -> list[Finding]:
    ours = {d.number: d for d in decisions}
    theirs = {d.number: d for d in full.decisions}
    for number in sorted(ours.keys() | theirs.keys()):
        if number not in theirs:
            if ours[number].created_at > full.generated_at:
                continue  # issued after the file was made
            return [Finding("case file", f"decision D{number} is not in the case file")]
        if number not in ours:
            return [Finding("case file", f"decision D{number} is not in the database")]
        db_fields, file_fields = _decision_fields(ours[number]), _decision_fields(theirs[number])
        for name, value in db_fields.items():
            if file_fields[name] != value:
                return [
                    Finding(
                        "case file",
                        f"decision D{number}: the database and the case file differ in its {name}",
                    )
                ]
    return []


def _request_fields(
    request: EvidenceRequest | EvidenceRequestEntry, shown: set[int], current: bool
) -> dict[str, Any]:
    """What a request's record says; its status and answers only when nothing happened since
    the file was made (a request open then may be met or lapsed now)."""
    if isinstance(request, EvidenceRequest):
        party, made, answers = request.party_role.value, request.created_at, request.answers
    else:
        party, made, answers = request.party_role, request.made_at, request.answered_by
    fields: dict[str, Any] = {
        "party": party,
        "wording": request.what,
        "due time": request.due_at,
        "time it was made": made,
    }
    if current:
        fields |= {"status": request.status, "answers": sorted(n for n in answers if n in shown)}
    return fields


def _request_findings(
    full: CaseFile, requests: Sequence[EvidenceRequest], shown: set[int], current: bool
) -> list[Finding]:
    ours = {r.number: r for r in requests}
    theirs = {r.number: r for r in full.evidence_requests}
    for number in sorted(ours.keys() | theirs.keys()):
        if number not in theirs:
            if ours[number].created_at > full.generated_at:
                continue  # made after the file was
            return [Finding("case file", f"evidence request R{number} is not in the case file")]
        if number not in ours:
            return [Finding("case file", f"evidence request R{number} is not in the database")]
        db_fields = _request_fields(ours[number], shown, current)
        file_fields = _request_fields(theirs[number], shown, current)
        for name, value in db_fields.items():
            if file_fields[name] != value:
                return [
                    Finding(
                        "case file",
                        f"evidence request R{number}: the database and the case file differ "
                        f"in its {name}",
                    )
                ]
    return []


def model_findings(
    full: CaseFile,
    items: Sequence[Evidence],
    decisions: Sequence[Decision],
    requests: Sequence[EvidenceRequest],
    *,
    current: bool,
) -> list[Finding]:
    """Where a version-1 case file and the live tables part: the first difference of each
    kind (evidence hashes, decisions, evidence requests). What came after the file was made is
    no difference; what may change after it (a request's status and answers) is compared only
    when the file is `current` (its head is the database's)."""
    shown = {entry.number for entry in full.evidence}
    return [
        *_evidence_findings(full, items),
        *_decision_findings(full, decisions),
        *_request_findings(full, requests, shown, current),
    ]
