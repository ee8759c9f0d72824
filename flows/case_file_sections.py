"""The case file's PDF, section by section: the cover, the claim, the timeline and the evidence
index here; what came of the case (proposals to the record's head) in case_file_record.py.

Headings and labels are in the reader's language; what people wrote is shown as written.
"""

from __future__ import annotations

import io

from flows.case_file_model import EventEntry, EvidenceEntry
from flows.case_file_record import RecordSections
from flows.case_file_text import (
    READER_KEYS,
    category_name,
    event_reference,
    event_text,
    kind_name,
    lateness_text,
    outcome_name,
    party_name,
    state_name,
    tag_name,
)
from flows.claim_render import render_summary
from flows.evidence_index import evidence_number
from flows.rules.validation import EvidenceTag
from locales.i18n import N_

__all__ = ["Sections"]

PARTY_KEYS = {
    "buyer": N_("casefile.pdf.party.buyer"),
    "supplier": N_("casefile.pdf.party.supplier"),
    "mediator": N_("casefile.pdf.party.mediator"),
}
AUTHENTICITY_KEYS = {
    "confirmed": N_("evidence.mark.confirmed"),
    "disputed": N_("evidence.mark.disputed"),
    "unanswered": N_("evidence.mark.unanswered"),
}
OTHER_PARTY = {"buyer": "supplier", "supplier": "buyer"}
THUMBNAIL_MM = 24  # the box a thumbnail is fitted into (centred in it)
_THUMBNAIL_COLUMN = THUMBNAIL_MM + 4
_TIMELINE_COLUMNS = (10, 56, 26, 88)  # mm: seq, time, by, what (180 mm in all)
_TIMELINE_HEADINGS = (
    N_("casefile.pdf.col.seq"),
    N_("casefile.pdf.col.time"),
    N_("casefile.pdf.col.by"),
    N_("casefile.pdf.col.event"),
)
_TIMELINE_SIZE = 8.5
_ROW_PADDING = 0.8


class Sections(RecordSections):
    """Writes the whole case file into the document, in the order of the issue's list."""

    def write(self) -> None:
        self.pdf.add_page()
        self.cover()
        self.claim()
        self.timeline()
        self.evidence()
        self.proposals()
        self.bidding()
        self.requests()
        self.mediator_proposals()
        self.decisions()
        self.obligations()
        self.record()

    # --- the cover ---------------------------------------------------------------------
    def cover(self) -> None:
        tr, case, claim = self.tr, self.file.case, self.file.claim
        number = f"#{case.number}"
        self.title(tr.t("casefile.pdf.title", number=number))
        for party in self.file.parties:
            if party.role in PARTY_KEYS:
                name = f"{party.name} (@{party.username})" if party.username else party.name
                self.para(tr.t(PARTY_KEYS[party.role], name=name), size=11)
        self.gap()
        lines = [
            tr.t(
                "claim.summary.order",
                order_number=claim.order_number,
                order_date=tr.date(claim.order_date),
            ),
            tr.t("claim.summary.paid", amount=tr.money(claim.amount, claim.currency)),
            tr.t("claim.summary.category", category=category_name(tr, case.category)),
            tr.t("casefile.pdf.state", state=state_name(tr, case.state)),
            tr.t("casefile.pdf.outcome", outcome=outcome_name(tr, case.outcome)),
            tr.t("casefile.pdf.filed", time=self.when(case.filed_at)),
        ]
        if case.decided_at is not None:
            lines.append(tr.t("casefile.pdf.decided", time=self.when(case.decided_at)))
        if case.closed_at is not None:
            lines.append(tr.t("casefile.pdf.closed", time=self.when(case.closed_at)))
        for line in lines:
            self.para(line, size=11)
        self.gap(6)
        reader = self.file.reader
        self.para(tr.t(READER_KEYS.get(reader.role, READER_KEYS["operator"])), muted=True)
        self.para(
            tr.t("casefile.pdf.generated", time=self.when(self.file.generated_at)), muted=True
        )
        self.para(tr.t("casefile.pdf.zone", zone=str(tr.tz)), muted=True)
        self.para(tr.t("casefile.pdf.as_written"), muted=True)

    # --- the claim ---------------------------------------------------------------------
    def claim(self) -> None:
        self.pdf.add_page()
        self.heading(self.tr.t("casefile.pdf.claim"))
        self.para(render_summary(self.file.claim, [], self.tr, with_evidence=False))

    # --- the timeline ------------------------------------------------------------------
    def timeline(self) -> None:
        tr, pdf = self.tr, self.pdf
        self.heading(tr.t("casefile.pdf.timeline"))
        if not self.file.events:
            self.none()
            return
        self.ensure(4 * self.line_height(_TIMELINE_SIZE))
        self._timeline_header()
        for event in self.file.events:
            texts = (
                str(event.seq),
                self.when(event.at),
                party_name(tr, event.actor_role),
                self.clean(self._event_words(event)),
            )
            height = 2 * _ROW_PADDING + max(
                self.text_height(text, width, _TIMELINE_SIZE)
                for text, width in zip(texts, _TIMELINE_COLUMNS, strict=True)
            )
            if pdf.get_y() + height > pdf.page_break_trigger:
                pdf.add_page()
                self._timeline_header()
            top, x = pdf.get_y(), pdf.l_margin
            for text, width in zip(texts, _TIMELINE_COLUMNS, strict=True):
                pdf.set_xy(x, top + _ROW_PADDING)
                self.para(text, size=_TIMELINE_SIZE, width=width)
                x += width
            pdf.set_draw_color(200, 200, 200)
            pdf.line(pdf.l_margin, top + height, pdf.l_margin + pdf.epw, top + height)
            pdf.set_xy(pdf.l_margin, top + height)

    def _timeline_header(self) -> None:
        """The columns' names, white on the headings' blue, atop the timeline on each page."""
        pdf = self.pdf
        pdf.set_font(self.FONT, size=_TIMELINE_SIZE)
        pdf.set_fill_color(31, 73, 125)
        pdf.set_text_color(255, 255, 255)
        pdf.set_x(pdf.l_margin)
        for key, width in zip(_TIMELINE_HEADINGS, _TIMELINE_COLUMNS, strict=True):
            pdf.cell(width, self.line_height(_TIMELINE_SIZE) + 2 * _ROW_PADDING,
                     self.clean(self.tr.t(key)), fill=True)  # fmt: skip
        pdf.ln()
        pdf.set_text_color(0, 0, 0)

    def _event_words(self, event: EventEntry) -> str:
        words = event_text(self.tr, event.kind, event.details, event.withheld)
        reference = None if event.withheld else event_reference(event.kind, event.details)
        if reference is not None:
            words = self.tr.t("casefile.pdf.event_about", event=words, item=reference)
        if event.withheld:
            words += "\n" + self.tr.t("casefile.pdf.withheld")
        return words

    # --- the evidence index ------------------------------------------------------------
    def evidence(self) -> None:
        self.pdf.add_page()
        self.heading(self.tr.t("casefile.pdf.evidence"))
        if self.thumbnails_dropped:
            self.para(self.tr.t("casefile.pdf.thumbnails_dropped"), muted=True)
            self.gap()
        if not self.file.evidence:
            self.none()
            return
        for item in sorted(self.file.evidence, key=lambda i: i.number):
            self._evidence_item(item)

    def _evidence_lines(self, item: EvidenceEntry) -> list[tuple[str, float, bool]]:
        """(text, size, muted) of each line of the item, before its hash."""
        tr = self.tr
        head = tr.t(
            "evidence.line",
            number=evidence_number(item.number),
            kind=kind_name(tr, item.kind),
            label=item.label,
            tag=tag_name(tr, item.tag),
        )
        lines = [(head, 10.0, False)]
        submitted = tr.t(
            "casefile.pdf.submitted",
            party=party_name(tr, item.submitter_role),
            time=self.when(item.submitted_at),
        )
        lines.append((submitted, 9.0, True))
        if item.file_name or item.size is not None:
            size = "—" if item.size is None else tr.file_size(item.size)
            lines.append(
                (tr.t("casefile.pdf.file", name=item.file_name or "—", size=size), 9, True)
            )
        marks = []
        if item.mediator_only:
            marks.append(tr.t("evidence.mark.mediator_only"))
        answer = self._authenticity(item)
        if answer is not None:
            marks.append(answer)
        late = lateness_text(tr, item.lateness)
        if late is not None:
            marks.append(late)
        if marks:
            lines.append((" · ".join(marks), 9, True))
        if item.text:
            lines.append((item.text, 10, False))
        return lines

    def _authenticity(self, item: EvidenceEntry) -> str | None:
        """A chat screenshot: whether the other party confirmed it as authentic."""
        if item.tag != EvidenceTag.CHAT_SCREENSHOT or item.submitter_role not in OTHER_PARTY:
            return None
        other = party_name(self.tr, OTHER_PARTY[item.submitter_role])
        key = AUTHENTICITY_KEYS.get(item.authenticity or "", AUTHENTICITY_KEYS["unanswered"])
        return self.tr.t(key, by=other)

    def _evidence_item(self, item: EvidenceEntry) -> None:
        pdf = self.pdf
        thumbnail = self.thumbnails.get(item.number)
        width = pdf.epw - (_THUMBNAIL_COLUMN if thumbnail else 0)
        lines = self._evidence_lines(item)
        height = sum(self.text_height(text, width, size) for text, size, _ in lines)
        height += self.line_height(9) if item.sha256 else 0
        self.ensure(max(height, THUMBNAIL_MM if thumbnail else 0) + 2)
        top, page = pdf.get_y(), pdf.page_no()
        pdf.set_x(pdf.l_margin)
        for text, size, muted in lines:
            self.para(text, size=size, width=width, muted=muted)
        if item.sha256:
            self.mono(self.tr.t("casefile.pdf.sha256"), item.sha256, width=width)
        bottom = pdf.get_y()
        if thumbnail:
            self._thumbnail(thumbnail, top, page)
            if pdf.page_no() == page:
                bottom = max(bottom, top + THUMBNAIL_MM)
        pdf.set_y(bottom + 1)
        pdf.set_draw_color(210, 210, 210)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.set_y(pdf.get_y() + 2)

    def _thumbnail(self, data: bytes, top: float, page: int) -> None:
        """The photo beside its lines, on the page where they began."""
        pdf = self.pdf
        here = pdf.page
        pdf.page = page
        pdf.image(
            io.BytesIO(data),
            x=pdf.w - pdf.r_margin - THUMBNAIL_MM,
            y=top,
            w=THUMBNAIL_MM,
            h=THUMBNAIL_MM,
            keep_aspect_ratio=True,
        )
        pdf.page = here
