"""The evidence index as one reader may see it: one function, used wherever an index is shown.

Two rules decide what a line says:
- an item marked for the mediator only shows its content (kind, label, size, the file itself)
  to its submitter and to the mediator; anyone else reads only that it exists, its number and
  its tag ("E2 · Payment · for the mediator only"), and is never sent its file;
- a screenshot of an outside chat says whether the other party confirmed it as authentic or
  disputed it (with their reason, when they gave one), or that they have not answered yet.

`reader` is the role of whoever reads the index: Role.BUYER, Role.SUPPLIER or Role.MEDIATOR;
`SHARED` (None) is a chat both parties read (the dispute chat), where nothing mediator-only
is shown. The claim form, /case, the supplier's view of the claim, the pinned claim, the
dispute chat's /case and the mediator's context card all render through `index_lines`.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.proposal_render import role_name
from flows.rules.lifecycle import Role
from flows.rules.validation import EvidenceKind, EvidenceTag
from locales.i18n import N_, Translator
from storage import Evidence

__all__ = [
    "KIND_KEYS",
    "SHARED",
    "TAG_KEYS",
    "content_visible",
    "evidence_line",
    "evidence_number",
    "files_for",
    "index_line",
    "index_lines",
    "is_chat_screenshot",
]

SHARED: Role | None = None  # a chat both parties read

TAG_KEYS = {
    EvidenceTag.DEFECT: N_("tag.defect"),
    EvidenceTag.DELIVERY: N_("tag.delivery"),
    EvidenceTag.CONTRACT: N_("tag.contract"),
    EvidenceTag.PAYMENT: N_("tag.payment"),
    EvidenceTag.COMMUNICATION: N_("tag.communication"),
    EvidenceTag.CHAT_SCREENSHOT: N_("tag.chat_screenshot"),
    EvidenceTag.OTHER: N_("tag.other"),
}
KIND_KEYS = {
    EvidenceKind.PHOTO: N_("kind.photo"),
    EvidenceKind.DOCUMENT: N_("kind.document"),
    EvidenceKind.VIDEO: N_("kind.video"),
    EvidenceKind.VOICE: N_("kind.voice"),
    EvidenceKind.STATEMENT: N_("kind.statement"),
}


# An item that came after the mediator's request for it lapsed: it counts only once accepted.
LATENESS_KEYS = {
    "late": N_("evidence.mark.late"),
    "accepted": N_("evidence.mark.late_accepted"),
    "left_out": N_("evidence.mark.late_left_out"),
}


def evidence_number(number: int) -> str:
    """Evidence items are cited as E1, E2, ... in every language."""
    return f"E{number}"


def evidence_line(item: Evidence, tr: Translator) -> str:
    """The item in full (number, kind, label, tag, size): only for a reader who may see it."""
    key = N_("evidence.line") if item.size is None else N_("evidence.line_sized")
    size = "" if item.size is None else tr.file_size(item.size)
    return tr.t(
        key,
        number=evidence_number(item.number),
        kind=tr.t(KIND_KEYS[EvidenceKind(item.kind)]),
        label=item.label,
        tag=tr.t(TAG_KEYS[EvidenceTag(item.tag)]),
        size=size,
    )


def is_chat_screenshot(item: Evidence) -> bool:
    """A screenshot of an outside chat: the other party may confirm or dispute it."""
    return item.tag == EvidenceTag.CHAT_SCREENSHOT


def content_visible(item: Evidence, reader: Role | None) -> bool:
    """Whether `reader` may see the item's content (its label, text and file)."""
    if not item.mediator_only:
        return True
    return reader is Role.MEDIATOR or (reader is not None and reader == item.submitter_role)


def _other(role: Role) -> Role:
    return Role.SUPPLIER if role is Role.BUYER else Role.BUYER


def _authenticity(item: Evidence, tr: Translator) -> str | None:
    if not is_chat_screenshot(item):
        return None
    other = role_name(tr, _other(Role(item.submitter_role)))
    if item.authenticity == "confirmed":
        return tr.t("evidence.mark.confirmed", by=other)
    if item.authenticity == "disputed":
        if item.authenticity_reason:
            return tr.t("evidence.mark.disputed_reason", by=other, reason=item.authenticity_reason)
        return tr.t("evidence.mark.disputed", by=other)
    return tr.t("evidence.mark.unanswered", by=other)


def index_line(item: Evidence, reader: Role | None, tr: Translator) -> str:
    """One item of the index as `reader` may read it."""
    if not content_visible(item, reader):
        return tr.t(
            "evidence.line_hidden",
            number=evidence_number(item.number),
            tag=tr.t(TAG_KEYS[EvidenceTag(item.tag)]),
        )
    marks = [evidence_line(item, tr)]
    if item.mediator_only:
        marks.append(tr.t("evidence.mark.mediator_only"))
    answer = _authenticity(item, tr)
    if answer is not None:
        marks.append(answer)
    if item.lateness in LATENESS_KEYS:
        marks.append(tr.t(LATENESS_KEYS[item.lateness]))
    return " · ".join(marks)


def index_lines(items: Sequence[Evidence], reader: Role | None, tr: Translator) -> list[str]:
    """The evidence index for `reader` (Role.BUYER, Role.SUPPLIER, Role.MEDIATOR, or SHARED for
    a chat both parties read), one line per item in number order. Call it with every item of
    the case (`services.db.evidence.list(case_id)`): it hides what the reader may not see."""
    return [index_line(item, reader, tr) for item in sorted(items, key=lambda i: i.number)]


def files_for(items: Sequence[Evidence], reader: Role | None) -> list[Evidence]:
    """The items whose files (or statement text) may be sent to `reader`."""
    return [item for item in items if content_visible(item, reader)]
