"""How the case file's PDF sets text: headings, wrapped paragraphs, hashes on one line.

The sections (`flows/case_file_sections.py`, `flows/case_file_record.py`) write through these
few methods, so every page looks alike. Text that is mostly Chinese wraps at any character
(Chinese has no spaces to break at), other text at spaces, so English words stay whole. A hash
is set in Courier at a size where its 64 characters fit one line, as one cell: extracted from
the PDF it is one string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, WrapMode
from fpdf.fonts import TTFFont

from flows.case_file_model import CaseFile
from locales.i18n import Translator

__all__ = ["Layout"]

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
CJK_SHARE = 0.3  # at least this share of Chinese characters: the text wraps as Chinese
_HEADING_RGB = (31, 73, 125)
_MUTED_RGB = (90, 90, 90)
_TEXT_RGB = (0, 0, 0)


class Layout:
    """The document, its reader's translator (times already in the reader's zone) and the
    thumbnails to show, with the methods that put text on the page."""

    FONT = "casefile"  # the shipped CJK + Latin font, registered under this name
    MONO = "Courier"  # a PDF standard font: nothing to embed
    MONO_SIZE = 8.5  # 64 Courier characters take 115 mm: one line of an A4 page's 180 mm
    SIZE = 10

    def __init__(
        self,
        pdf: FPDF,
        case_file: CaseFile,
        tr: Translator,
        thumbnails: Mapping[int, bytes],
        *,
        thumbnails_dropped: bool,
    ) -> None:
        self.pdf = pdf
        self.file = case_file
        self.tr = tr
        self.thumbnails = thumbnails
        self.thumbnails_dropped = thumbnails_dropped
        font = pdf.fonts[self.FONT.lower()]
        assert isinstance(font, TTFFont)  # registered by the document from FONT_PATH
        self._drawable = frozenset(font.cmap)

    def clean(self, text: str) -> str:
        """`text` without the characters the font cannot draw (emoji, mostly): fpdf2 would
        leave a gap and a warning for each. Line breaks stay."""
        kept = "".join(c for c in text if c == "\n" or ord(c) in self._drawable)
        return kept.strip() if kept != text else text

    # --- words -------------------------------------------------------------------------
    def when(self, moment: datetime | None) -> str:
        """A moment in the reader's zone, with the zone named; "—" for none."""
        return "—" if moment is None else self.tr.datetime(moment)

    @staticmethod
    def wrapmode(text: str) -> WrapMode:
        """Chinese wraps at any character, Latin at spaces. Mixed text goes by what it is
        mostly: a Chinese label before an English description ("经过：The speakers...") keeps
        the English words whole, and a Chinese paragraph with a few English words still wraps
        as Chinese (fpdf2 breaks a run with no space in it at a character anyway)."""
        letters = sum(1 for c in text if not c.isspace())
        cjk = len(_CJK.findall(text))
        return WrapMode.CHAR if letters and cjk >= CJK_SHARE * letters else WrapMode.WORD

    @staticmethod
    def line_height(size: float) -> float:
        return size * 0.5  # mm for a size in pt: about 1.4 times the font's height

    # --- layout ------------------------------------------------------------------------
    def ensure(self, height: float) -> None:
        """A new page unless `height` mm still fit on this one."""
        if self.pdf.get_y() + height > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def gap(self, height: float = 2.5) -> None:
        self.pdf.ln(height)

    def _fits(self, text: str, width: float) -> bool:
        """Whether `text` takes one line of `width` mm in the current font: then it is set
        with `cell`, not `multi_cell`, whose line breaking costs a hundred times more."""
        room = (width or self.pdf.w - self.pdf.r_margin - self.pdf.get_x()) - 2 * self.pdf.c_margin
        return "\n" not in text and self.pdf.get_string_width(text) < room - 0.2

    def text_height(self, text: str, width: float, size: float = SIZE) -> float:
        text = self.clean(text)
        self.pdf.set_font(self.FONT, size=size)
        if self._fits(text, width):
            return self.line_height(size)
        lines = self.pdf.multi_cell(
            width, self.line_height(size), text, dry_run=True, output=MethodReturnValue.LINES,
            wrapmode=self.wrapmode(text),
        )  # fmt: skip
        assert isinstance(lines, list)
        return len(lines) * self.line_height(size)

    def title(self, text: str) -> None:
        self.pdf.set_font(self.FONT, size=20)
        self.pdf.set_text_color(*_HEADING_RGB)
        self.pdf.multi_cell(0, 10, self.clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_text_color(*_TEXT_RGB)
        self.gap(4)

    def heading(self, text: str) -> None:
        """A section's heading, kept on a page with room for a few lines after it."""
        self.gap(3)
        self.ensure(25)
        self.pdf.set_font(self.FONT, size=14)
        self.pdf.set_text_color(*_HEADING_RGB)
        self.pdf.multi_cell(0, 7, self.clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
        y = self.pdf.get_y()
        self.pdf.set_draw_color(*_HEADING_RGB)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.w - self.pdf.r_margin, y)
        self.pdf.set_text_color(*_TEXT_RGB)
        self.gap(2.5)

    def para(self, text: str, *, size: float = SIZE, width: float = 0, muted: bool = False) -> None:
        """Text that wraps, from the left margin (or the current x, given a `width`)."""
        text = self.clean(text)
        self.pdf.set_font(self.FONT, size=size)
        self.pdf.set_text_color(*(_MUTED_RGB if muted else _TEXT_RGB))
        x = self.pdf.get_x() if width else self.pdf.l_margin
        self.pdf.set_x(x)
        if self._fits(text, width):
            self._line(text, x, self.line_height(size))
        else:
            self.pdf.multi_cell(
                width, self.line_height(size), text, align="L", wrapmode=self.wrapmode(text),
                new_x="LEFT", new_y="NEXT",
            )  # fmt: skip
        self.pdf.set_x(x if width else self.pdf.l_margin)
        self.pdf.set_text_color(*_TEXT_RGB)

    def _line(self, text: str, x: float, height: float) -> None:
        """One line that fits, set as `cell` would set it (a new page first if it is full),
        with `text`: a quarter of a cell's cost, which counts over a thousand lines."""
        pdf = self.pdf
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        if text:
            pdf.text(x + pdf.c_margin, y + 0.5 * height + 0.3 * pdf.font_size, text)
        pdf.set_xy(x, y + height)

    def mono(self, label: str, value: str, *, width: float = 0, size: float = MONO_SIZE) -> None:
        """`label` then `value` in Courier, on one line where both fit, else `value` on the
        next; `value` never wraps (a hash), unless it is longer than a whole line."""
        pdf, label = self.pdf, self.clean(label)
        # Courier has Latin-1 only: a command with a Chinese file name is set in the CJK font.
        mono = self.MONO if value.isascii() else self.FONT
        value = value if value.isascii() else self.clean(value)
        x = pdf.get_x() if width else pdf.l_margin
        room = width or pdf.w - pdf.r_margin - x
        pdf.set_font(self.FONT, size=9)
        label_width = pdf.get_string_width(label) + 1.5 if label else 0
        pdf.set_font(mono, size=size)
        value_width = pdf.get_string_width(value) + 1
        height = self.line_height(max(9, size))
        if label and label_width + value_width > room:
            self.para(label, size=9, width=room if width else 0)
            label_width = 0
        pdf.set_x(x)
        if label_width:
            pdf.set_font(self.FONT, size=9)
            pdf.cell(label_width, height, label)
        pdf.set_font(mono, size=size)
        if value_width <= room:
            pdf.cell(value_width, height, value, new_x="LEFT", new_y="NEXT")
        else:  # a verify command with a long path: it wraps at any character
            pdf.multi_cell(
                room, height, value, align="L", wrapmode=WrapMode.CHAR,
                new_x="LEFT", new_y="NEXT",
            )  # fmt: skip
        pdf.set_x(x)

    def none(self) -> None:
        self.para(self.tr.t("casefile.pdf.none"), muted=True)
