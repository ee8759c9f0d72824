"""The case file's PDF in words: which catalog key says what, for the reader's language.

Everything the PDF says of its own comes from the catalogs (`casefile.pdf.*` and the keys the
bot already shows: states, categories, roles, tags, the fates of proposals); what people wrote
(the description, labels, reasons, a request's text) is shown as written. The event kinds of
the history each have a sentence; a kind this version does not know is said with its code, so
a file made by a newer bot still lists every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.claim_render import CLOSED_KEYS
from flows.evidence_index import KIND_KEYS, LATENESS_KEYS, TAG_KEYS
from flows.mediator_card import (
    BIDDING_KEYS,
    PROPOSAL_FATE_KEYS,
    REQUEST_STATUS_KEYS,
    obligation_status_key,
)
from flows.proposal_render import ROLE_KEYS
from flows.rules.lifecycle import ClosingReason, Role
from flows.rules.validation import EvidenceKind, EvidenceTag
from flows.stats_render import category_name, state_name
from locales.i18n import N_, Translator

__all__ = [
    "EVENT_KEYS",
    "READER_KEYS",
    "bidding_status",
    "category_name",
    "decision_status",
    "event_reference",
    "event_text",
    "kind_name",
    "lateness_text",
    "obligation_status",
    "outcome_name",
    "party_name",
    "proposal_fate",
    "request_status",
    "state_name",
    "tag_name",
]

# One sentence per kind of history event (storage/repos/* and the flows that append them).
EVENT_KEYS = {
    "case.created": N_("casefile.pdf.event.case_created"),
    "case.transition": N_("casefile.pdf.event.case_transition"),
    "case.supplier_joined": N_("casefile.pdf.event.case_supplier_joined"),
    "case.supplier_removed": N_("casefile.pdf.event.case_supplier_removed"),
    "invitation.declined": N_("casefile.pdf.event.invitation_declined"),
    "chat.bind_held": N_("casefile.pdf.event.chat_bind_held"),
    "chat.bound": N_("casefile.pdf.event.chat_bound"),
    "chat.invite_sent": N_("casefile.pdf.event.chat_invite_sent"),
    "chat.joined": N_("casefile.pdf.event.chat_joined"),
    "chat.left": N_("casefile.pdf.event.chat_left"),
    "chat.link_used": N_("casefile.pdf.event.chat_link_used"),
    "chat.migrated": N_("casefile.pdf.event.chat_migrated"),
    "chat.recording": N_("casefile.pdf.event.chat_recording"),
    "chat.message": N_("casefile.pdf.event.chat_message"),
    "chat.edit": N_("casefile.pdf.event.chat_edit"),
    "chat.file": N_("casefile.pdf.event.chat_file"),
    "deadline.passed": N_("casefile.pdf.event.deadline_passed"),
    "delivery.failed": N_("casefile.pdf.event.delivery_failed"),
    "evidence.added": N_("casefile.pdf.event.evidence_added"),
    "evidence.stored": N_("casefile.pdf.event.evidence_stored"),
    "evidence.removed": N_("casefile.pdf.event.evidence_removed"),
    "evidence.confirmed": N_("casefile.pdf.event.evidence_confirmed"),
    "evidence.disputed": N_("casefile.pdf.event.evidence_disputed"),
    "evidence.dispute_reason": N_("casefile.pdf.event.evidence_dispute_reason"),
    "evidence.requested": N_("casefile.pdf.event.evidence_requested"),
    "evidence.request_answered": N_("casefile.pdf.event.evidence_request_answered"),
    "evidence.request_lapsed": N_("casefile.pdf.event.evidence_request_lapsed"),
    "evidence.late_accepted": N_("casefile.pdf.event.evidence_late_accepted"),
    "evidence.late_left_out": N_("casefile.pdf.event.evidence_late_left_out"),
    "final_statement": N_("casefile.pdf.event.final_statement"),
    "pool.posted": N_("casefile.pdf.event.pool_posted"),
    "mediator.briefed": N_("casefile.pdf.event.mediator_briefed"),
    "mediator.joined": N_("casefile.pdf.event.mediator_joined"),
    "proposal.made": N_("casefile.pdf.event.proposal_made"),
    "proposal.accepted": N_("casefile.pdf.event.proposal_accepted"),
    "proposal.party_accepted": N_("casefile.pdf.event.proposal_party_accepted"),
    "proposal.rejected": N_("casefile.pdf.event.proposal_rejected"),
    "proposal.reject_reason": N_("casefile.pdf.event.proposal_reject_reason"),
    "proposal.superseded": N_("casefile.pdf.event.proposal_superseded"),
    "proposal.withdrawn": N_("casefile.pdf.event.proposal_withdrawn"),
    "bids.offered": N_("casefile.pdf.event.bids_offered"),
    "bids.opted_in": N_("casefile.pdf.event.bids_opted_in"),
    "bids.declined": N_("casefile.pdf.event.bids_declined"),
    "bids.bid_placed": N_("casefile.pdf.event.bids_bid_placed"),
    "bids.round_started": N_("casefile.pdf.event.bids_round_started"),
    "bids.round_resolved": N_("casefile.pdf.event.bids_round_resolved"),
    "bids.midpoint_answered": N_("casefile.pdf.event.bids_midpoint_answered"),
    "decision.issued": N_("casefile.pdf.event.decision_issued"),
    "decision.confirmed": N_("casefile.pdf.event.decision_confirmed"),
    "obligation.created": N_("casefile.pdf.event.obligation_created"),
    "obligation.done": N_("casefile.pdf.event.obligation_done"),
    "obligation.confirmed": N_("casefile.pdf.event.obligation_confirmed"),
    "obligation.disputed": N_("casefile.pdf.event.obligation_disputed"),
    "obligation.cancelled": N_("casefile.pdf.event.obligation_cancelled"),
}

# Whom the copy was made for: a whole sentence per reader.
READER_KEYS = {
    "buyer": N_("casefile.pdf.reader.buyer"),
    "supplier": N_("casefile.pdf.reader.supplier"),
    "mediator": N_("casefile.pdf.reader.mediator"),
    "operator": N_("casefile.pdf.reader.operator"),
}

# How an event names the item it is about: (kind prefix, detail key, letter). Only a whole
# number is ever shown from an event's details (a bidding round's details may hold a figure).
_REFERENCES = (
    ("evidence.request", "number", "R"),
    ("evidence.", "number", "E"),
    ("evidence.", "evidence", "E"),
    ("proposal.", "number", "P"),
    ("decision.", "number", "D"),
    ("obligation.", "number", "O"),
)

_DECISION_STATUS_KEYS = {
    "in_force": N_("casefile.pdf.decision.in_force"),
    "replaced": N_("casefile.pdf.decision.replaced"),
}


def party_name(tr: Translator, role: str) -> str:
    """A role as the catalogs name it ("the buyer"); a role this version does not know as is."""
    try:
        return tr.t(ROLE_KEYS[Role(role)])
    except ValueError:
        return role


def event_text(tr: Translator, kind: str, details: Mapping[str, Any], withheld: bool) -> str:
    """What happened, in words; a state change names the state the case moved to."""
    if kind not in EVENT_KEYS:
        return tr.t("casefile.pdf.event.other", kind=kind)
    if kind == "case.transition":
        target = details.get("to")
        if withheld or not isinstance(target, str):
            return tr.t("casefile.pdf.event.case_transition_unnamed")
        return tr.t(EVENT_KEYS[kind], state=state_name(tr, target))
    return tr.t(EVENT_KEYS[kind])


def event_reference(kind: str, details: Mapping[str, Any]) -> str | None:
    """The item an event is about, as people cite it (E3, P2, D1, O1, R1), if it names one."""
    for prefix, key, letter in _REFERENCES:
        value = details.get(key)
        if kind.startswith(prefix) and isinstance(value, int) and not isinstance(value, bool):
            return f"{letter}{value}"
    return None


def outcome_name(tr: Translator, outcome: str | None) -> str:
    """Why the case closed, as /cases says it; an outcome this version does not know as is."""
    if outcome is None:
        return tr.t("casefile.pdf.outcome_open")
    try:
        return tr.t(CLOSED_KEYS[ClosingReason(outcome)])
    except ValueError:
        return state_name(tr, outcome)


def kind_name(tr: Translator, kind: str) -> str:
    try:
        return tr.t(KIND_KEYS[EvidenceKind(kind)])
    except ValueError:
        return kind


def tag_name(tr: Translator, tag: str) -> str:
    try:
        return tr.t(TAG_KEYS[EvidenceTag(tag)])
    except ValueError:
        return tag


def lateness_text(tr: Translator, lateness: str | None) -> str | None:
    return tr.t(LATENESS_KEYS[lateness]) if lateness in LATENESS_KEYS else None


def proposal_fate(tr: Translator, number: str, role: str, status: str) -> str:
    """ "P2 by the supplier: accepted" (an unknown status reads as open)."""
    key = PROPOSAL_FATE_KEYS.get(status, PROPOSAL_FATE_KEYS["open"])
    return tr.t(key, number=number, by=party_name(tr, role))


def bidding_status(tr: Translator, status: str) -> str:
    return tr.t(BIDDING_KEYS.get(status, BIDDING_KEYS["active"]))


def request_status(tr: Translator, status: str) -> str:
    return tr.t(REQUEST_STATUS_KEYS.get(status, REQUEST_STATUS_KEYS["open"]))


def obligation_status(tr: Translator, status: str, by_decision: bool = True) -> str:
    """`by_decision`: a decision ordered it (else the settlement stated it)."""
    return tr.t(obligation_status_key(status, by_decision))


def decision_status(tr: Translator, status: str) -> str:
    return tr.t(_DECISION_STATUS_KEYS.get(status, _DECISION_STATUS_KEYS["in_force"]))
