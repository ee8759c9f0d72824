"""The case file's PDF, what came of the case: proposals and their fate, blind bidding, the
mediator's requests for evidence and proposals, decisions with their reasons, obligations and
their fulfilment, and on a last page of its own the head of the hash chain with the command
that verifies it.

Blind bidding shows that it happened and how it ended, never a figure (the model has none).
Summaries of terms come in the reader's language from the model; reasons and requests as the
mediator wrote them.
"""

from __future__ import annotations

from flows.case_file_layout import Layout
from flows.case_file_text import (
    bidding_status,
    decision_status,
    obligation_status,
    party_name,
    proposal_fate,
    request_status,
)
from flows.decision_text import decision_number
from flows.evidence_index import evidence_number
from flows.evidence_requests import request_number
from flows.proposal_render import obligation_number, proposal_number

__all__ = ["RecordSections"]


class RecordSections(Layout):
    def _item(self, head: str, lines: list[str], body: str | None = None) -> None:
        """One entry: its first line, muted facts under it, then what someone wrote."""
        self.ensure(self.line_height(self.SIZE) * (2 + len(lines)))
        self.para(head)
        for line in lines:
            self.para(line, size=9, muted=True)
        if body:
            self.para(body)
        self.gap(2)

    def _cited(self, numbers: list[int]) -> str:
        return ", ".join(evidence_number(n) for n in numbers) or "—"

    def proposals(self) -> None:
        tr = self.tr
        self.heading(tr.t("casefile.pdf.proposals"))
        if not self.file.proposals:
            self.none()
        for p in self.file.proposals:
            lines = [tr.t("casefile.pdf.made", time=self.when(p.made_at))]
            if p.decided_at is not None:
                lines.append(tr.t("casefile.pdf.answered", time=self.when(p.decided_at)))
            if p.source == "bidding":
                lines.append(tr.t("casefile.pdf.from_bidding"))
            head = proposal_fate(tr, proposal_number(p.number), p.author_role, p.status)
            self._item(head, lines, p.summary)

    def bidding(self) -> None:
        tr = self.tr
        self.heading(tr.t("casefile.pdf.bidding"))
        if not self.file.blind_bidding:
            self.para(tr.t("card.bidding.none"))
        for b in self.file.blind_bidding:
            lines = [
                tr.t(
                    "casefile.pdf.bidding_started",
                    party=party_name(tr, b.offered_by_role),
                    time=self.when(b.started_at),
                ),
                tr.tn(
                    "casefile.pdf.bidding_rounds", "casefile.pdf.bidding_rounds.plural", b.rounds
                ),
            ]
            if b.ended_at is not None:
                lines.append(tr.t("casefile.pdf.ended", time=self.when(b.ended_at)))
            head = tr.t("casefile.pdf.bidding_outcome", outcome=bidding_status(tr, b.status))
            self._item(head, lines)
        self.para(tr.t("casefile.pdf.bidding_private"), size=9, muted=True)

    def requests(self) -> None:
        tr = self.tr
        self.heading(tr.t("casefile.pdf.requests"))
        if not self.file.evidence_requests:
            self.none()
        for r in self.file.evidence_requests:
            head = tr.t(
                "casefile.pdf.request",
                number=request_number(r.number),
                party=party_name(tr, r.party_role),
                status=request_status(tr, r.status),
            )
            lines = [
                tr.t("casefile.pdf.made", time=self.when(r.made_at)),
                tr.t("casefile.pdf.due", time=self.when(r.due_at)),
                tr.t("casefile.pdf.answered_by", evidence=self._cited(r.answered_by)),
            ]
            self._item(head, lines, r.what)

    def mediator_proposals(self) -> None:
        tr = self.tr
        self.heading(tr.t("casefile.pdf.mediator_proposals"))
        if not self.file.mediator_proposals:
            self.none()
        for m in self.file.mediator_proposals:
            head = proposal_fate(tr, proposal_number(m.number), "mediator", m.status)
            self._item(head, [tr.t("casefile.pdf.made", time=self.when(m.made_at))], m.summary)

    def decisions(self) -> None:
        tr = self.tr
        self.heading(tr.t("casefile.pdf.decisions"))
        if not self.file.decisions:
            self.none()
        for d in self.file.decisions:
            head = tr.t(
                "casefile.pdf.decision",
                number=decision_number(d.number),
                time=self.when(d.issued_at),
                status=decision_status(tr, d.status),
            )
            lines = [d.summary, tr.t("casefile.pdf.cited", evidence=self._cited(d.cited))]
            if d.replaces is not None:
                lines.append(tr.t("casefile.pdf.replaces", number=decision_number(d.replaces)))
            self._item(head, lines)
            self.para(tr.t("casefile.pdf.reasons"), size=9, muted=True)
            self.para(d.reasons)
            self.gap(3)

    def obligations(self) -> None:
        tr = self.tr
        self.heading(tr.t("casefile.pdf.obligations"))
        if not self.file.obligations:
            self.none()
        for o in self.file.obligations:
            head = tr.t(
                "casefile.pdf.obligation",
                number=obligation_number(o.number),
                summary=o.summary,
                status=obligation_status(tr, o.status, o.decision is not None),
            )
            lines = [tr.t("casefile.pdf.due", time=self.when(o.due_at))]
            if o.done_at is not None:
                lines.append(tr.t("casefile.pdf.done", time=self.when(o.done_at)))
            if o.proof_evidence is not None:
                proof = evidence_number(o.proof_evidence)
                lines.append(tr.t("casefile.pdf.proof", evidence=proof))
            if o.confirmed_at is not None:
                lines.append(tr.t("casefile.pdf.confirmed", time=self.when(o.confirmed_at)))
            if o.decision is not None:
                lines.append(tr.t("casefile.pdf.ordered_by", number=decision_number(o.decision)))
            self._item(head, lines)

    def record(self) -> None:
        """The last page: the chain's head, what it proves, and how to check it."""
        tr, head = self.tr, self.file.head
        self.pdf.add_page()
        self.heading(tr.t("casefile.pdf.record"))
        self.para(tr.t("casefile.pdf.record_explained"))
        self.gap()
        self.para(tr.t("casefile.pdf.head", seq=head.seq))
        self.mono(tr.t("casefile.pdf.sha256"), head.hash, size=10)
        self.gap()
        self.para(tr.t("casefile.pdf.verify"))
        self.mono("", self.file.verify_command, size=10)
