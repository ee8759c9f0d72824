"""The case file as a PDF, for one reader: what `/casefile` sends and `disputebot export` writes.

fpdf2 with the shipped font `flows/fonts/casefile-cjk.ttf` (WenQuanYi Micro Hei: Chinese and
Latin in one font, so both render whatever the machine has installed); fpdf2 embeds only the
glyphs used, with their Unicode mapping, so the text can be extracted and searched. Hashes and
the verify command are set in Courier, small enough that a SHA-256 stays one line and one
string when the text is extracted.

Contents, in order (`flows/case_file_sections.py`): a cover page, the claim, the timeline, the
evidence index with photo thumbnails, the proposals, blind bidding (never a figure: the model
has none), the mediator's requests for evidence and proposals, the decisions with their
reasons, the obligations, and on a last page of its own the head of the hash chain with the
command that verifies it.

`render_pdf` is synchronous CPU work of a second or more (the font alone takes a second to
read): callers run it off the event loop (`asyncio.to_thread`). A file that would exceed
`max_bytes` (Telegram's upload limit) is made again without thumbnails, and says so.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from PIL import Image

from flows.case_file_model import CaseFile, CaseFileTooLarge
from flows.case_file_sections import Sections
from locales.i18n import Translator

__all__ = [
    "FONT_PATH",
    "MAX_BYTES",
    "THUMBNAIL_PIXELS",
    "CaseFileTooLarge",
    "prepare_thumbnails",
    "render_pdf",
]

log = logging.getLogger(__name__)

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "casefile-cjk.ttf"
MAX_BYTES = 48 * 1024 * 1024  # Telegram's bots may upload 50 MB; a margin for the caption
THUMBNAIL_PIXELS = 240  # the longer side of a thumbnail as embedded (about 30 mm at 200 dpi)
_JPEG_QUALITY = 70


def prepare_thumbnails(
    case_number: int, thumbnails: Mapping[int, bytes], wanted: set[int]
) -> dict[int, bytes]:
    """The thumbnails of the items `wanted` (E-numbers), scaled down to `THUMBNAIL_PIXELS`
    and made JPEG, which fpdf2 embeds as they are. One that Pillow cannot read is left out,
    with a log line: a broken picture never costs the reader their case file."""
    prepared: dict[int, bytes] = {}
    for number in sorted(wanted & thumbnails.keys()):
        try:
            with Image.open(io.BytesIO(thumbnails[number])) as image:
                image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))  # JPEG: decode small
                image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                out = io.BytesIO()
                image.convert("RGB").save(out, format="JPEG", quality=_JPEG_QUALITY)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            # OSError covers Pillow's UnidentifiedImageError and truncated files.
            log.warning(
                "case %s: the thumbnail of E%s cannot be read, left out of the PDF: %r",
                case_number,
                number,
                error,
            )
            continue
        prepared[number] = out.getvalue()
    return prepared


class _Document(FPDF):
    """A4 pages with the font registered and "case #n · page n of m" in every footer."""

    def __init__(self, footer: str, language: str, generated_at: datetime) -> None:
        super().__init__(format="A4")
        self._footer = footer  # with {page}; fpdf2 replaces "{nb}" by the page count at output
        self.add_font(Sections.FONT, "", str(FONT_PATH))
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        self.set_lang("zh-Hans" if language == "zh_Hans" else "en")
        self.set_creator("disputebot")
        self.set_creation_date(generated_at)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(Sections.FONT, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, self._footer.replace("{page}", str(self.page_no())), align="C")


def _render(
    case_file: CaseFile, tr: Translator, thumbnails: Mapping[int, bytes], dropped: bool
) -> bytes:
    number = f"#{case_file.case.number}"
    footer = tr.t("casefile.pdf.footer", number=number, page="{page}", pages="{nb}")
    document = _Document(footer, tr.language, case_file.generated_at)
    document.set_title(tr.t("casefile.pdf.title", number=number))
    Sections(document, case_file, tr, thumbnails, thumbnails_dropped=dropped).write()
    return bytes(document.output())


def render_pdf(
    case_file: CaseFile,
    tr: Translator,
    zone: ZoneInfo,
    thumbnails: Mapping[int, bytes] = {},  # read only, never kept
    *,
    max_bytes: int = MAX_BYTES,
) -> bytes:
    """The case file as PDF bytes for its reader: headings in `tr`'s language, times in
    `zone`, photos as thumbnails from `thumbnails` (image bytes by E-number). Above
    `max_bytes` it is made again without thumbnails (the evidence index says so);
    CaseFileTooLarge if even that is too large."""
    local = tr.with_timezone(zone.key) if zone.key else tr
    photos = {item.number for item in case_file.evidence if item.kind == "photo"}
    number = case_file.case.number
    prepared = prepare_thumbnails(number, thumbnails, photos)
    # Thumbnails are embedded as they are: when they alone exceed the limit, skip that try.
    if prepared and sum(len(data) for data in prepared.values()) < max_bytes:
        pdf = _render(case_file, local, prepared, dropped=False)
        if len(pdf) <= max_bytes:
            log.info(
                "case %s: case file PDF of %d bytes with %d thumbnails",
                number,
                len(pdf),
                len(prepared),
            )
            return pdf
        log.warning(
            "case %s: the case file with thumbnails takes %d bytes, above %d: made without",
            number,
            len(pdf),
            max_bytes,
        )
    pdf = _render(case_file, local, {}, dropped=bool(prepared))
    if len(pdf) > max_bytes:
        raise CaseFileTooLarge(f"case {number}: the case file takes {len(pdf)} bytes")
    log.info("case %s: case file PDF of %d bytes without thumbnails", number, len(pdf))
    return pdf
