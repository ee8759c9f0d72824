"""The case file as a PDF (fpdf2, with the shipped CJK font so Chinese renders anywhere).

A minimal renderer with the final signature: the case number, the parties, the claim as written,
the evidence index with each SHA-256, the decisions, and the chain's head with the command that
verifies it. The full layout (cover page, timeline, thumbnails) replaces this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from flows.case_file_model import CaseFile
from flows.proposal_render import role_name
from locales.i18n import Translator

__all__ = ["FONT", "UPLOAD_LIMIT", "render_pdf"]

FONT = Path(__file__).parent / "fonts" / "casefile-cjk.ttf"
UPLOAD_LIMIT = 50 * 1024 * 1024  # Telegram's limit for a document a bot sends


def render_pdf(
    case_file: CaseFile,
    tr: Translator,
    zone: ZoneInfo,
    thumbnails: Mapping[int, bytes] = {},  # read only
    *,
    max_bytes: int = UPLOAD_LIMIT,
) -> bytes:
    """The PDF of `case_file` for its reader (times in `zone`); above `max_bytes` it is made
    again without thumbnails (this minimal renderer draws none anyway)."""
    data = _render(case_file, tr, zone)
    if len(data) > max_bytes and thumbnails:
        return render_pdf(case_file, tr, zone, {}, max_bytes=max_bytes)
    return data


def _render(case_file: CaseFile, tr: Translator, zone: ZoneInfo) -> bytes:
    local = tr.with_timezone(zone.key)
    pdf = FPDF()
    pdf.add_font("cjk", fname=str(FONT))
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    lines = [f"#{case_file.case.number}", case_file.claim.order_number]
    lines += [f"{role_name(tr, p.role)}: {p.name}" for p in case_file.parties]
    lines.append(case_file.claim.description)
    for item in case_file.evidence:
        when = local.datetime(item.submitted_at)
        lines.append(f"E{item.number} {item.label} {when}")
        lines += [item.sha256] if item.sha256 else []
    lines += [f"D{d.number} {d.summary}\n{d.reasons}" for d in case_file.decisions]
    lines += [str(case_file.head.seq), case_file.head.hash, case_file.verify_command]
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
