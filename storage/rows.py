"""Turning result rows into records, with explicit conversions (rows are untyped)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import RowMapping

from flows.rules.claim import Claim
from flows.rules.lifecycle import CaseState, ClosingReason, DeadlineKind, Role
from storage.records import (
    BidRound,
    BlindBidding,
    Case,
    CaseChat,
    ChatLink,
    Deadline,
    Decision,
    Draft,
    Evidence,
    EvidenceRequest,
    HistoryEvent,
    InviteToken,
    Obligation,
    PendingInput,
    Proposal,
    User,
)

__all__ = [
    "bidding_from_row",
    "case_from_row",
    "chat_from_row",
    "chat_link_from_row",
    "claim_from_column",
    "deadline_from_row",
    "draft_from_row",
    "event_from_row",
    "evidence_from_row",
    "evidence_request_from_row",
    "input_from_row",
    "obligation_from_row",
    "opt_datetime",
    "opt_decimal",
    "proposal_from_row",
    "round_from_row",
    "token_from_row",
    "user_from_row",
]

# A row as read (`.mappings()`), or the same keys picked out of a wider row.
Row = RowMapping | Mapping[str, Any]


def _dt(value: object) -> datetime:
    if isinstance(value, str):  # defensive: a raw SQLite text value
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _opt_dt(value: object) -> datetime | None:
    return None if value is None else _dt(value)


opt_datetime = _opt_dt  # for aggregate results (e.g. MIN over a datetime column)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an int, got {value!r}")
    return value


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a str, got {value!r}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _opt_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


def opt_decimal(value: object) -> Decimal | None:
    """A Decimal stored as text (exact on both databases), or None."""
    return None if value is None else Decimal(_str(value))


def _dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {value!r}")
    return {str(k): v for k, v in value.items()}


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a JSON array, got {value!r}")
    return list(value)


def user_from_row(row: Row) -> User:
    return User(
        id=_int(row["id"]),
        first_name=_str(row["first_name"]),
        username=_opt_str(row["username"]),
        telegram_language=_opt_str(row["telegram_language"]),
        language=_opt_str(row["language"]),
        timezone=_opt_str(row["timezone"]),
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
    )


def claim_from_column(value: object) -> Claim | None:
    """The case's `claim` column as the model: None for a draft's empty object; pydantic's
    ValidationError (a ValueError) for a stored mapping that is not a claim."""
    stored = _dict(value)
    return Claim.from_record(stored) if stored else None


def case_from_row(row: Mapping[Any, Any]) -> Case:
    previous = _opt_str(row["previous_state"])
    reason = _opt_str(row["closed_reason"])
    return Case(
        id=_int(row["id"]),
        buyer_id=_int(row["buyer_id"]),
        supplier_id=_opt_int(row["supplier_id"]),
        state=CaseState(_str(row["state"])),
        previous_state=None if previous is None else CaseState(previous),
        claim=claim_from_column(row["claim"]),
        category=_opt_str(row["category"]),
        created_at=_dt(row["created_at"]),
        submitted_at=_opt_dt(row["submitted_at"]),
        closed_at=_opt_dt(row["closed_at"]),
        updated_at=_dt(row["updated_at"]),
        last_activity_at=_dt(row["last_activity_at"]),
        version=_int(row["version"]),
        mediator_id=_opt_int(row["mediator_id"]),
        invited_at=_opt_dt(row["invited_at"]),
        closed_reason=None if reason is None else ClosingReason(reason),
        number=_opt_int(row["number"]),
        decided_at=_opt_dt(row["decided_at"]),
        reconsiderations=_int(row["reconsiderations"]),
    )


def draft_from_row(row: Row) -> Draft:
    return Draft(
        case_id=_int(row["case_id"]),
        user_id=_int(row["user_id"]),
        step=_str(row["step"]),
        answers=_dict(row["answers"]),
        back_stack=[_str(s) for s in _list(row["back_stack"])],
        version=_int(row["version"]),
        updated_at=_dt(row["updated_at"]),
    )


def evidence_from_row(row: Row) -> Evidence:
    return Evidence(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        number=_int(row["number"]),
        submitter_id=_int(row["submitter_id"]),
        submitter_role=Role(_str(row["submitter_role"])),
        kind=_str(row["kind"]),
        label=_str(row["label"]),
        tag=_str(row["tag"]),
        text=_opt_str(row["text"]),
        telegram_file_id=_opt_str(row["telegram_file_id"]),
        telegram_file_unique_id=_opt_str(row["telegram_file_unique_id"]),
        file_name=_opt_str(row["file_name"]),
        mime_type=_opt_str(row["mime_type"]),
        size=_opt_int(row["size"]),
        sha256=_opt_str(row["sha256"]),
        store_key=_opt_str(row["store_key"]),
        mediator_only=bool(row["mediator_only"]),
        created_at=_dt(row["created_at"]),
        stored_at=_opt_dt(row["stored_at"]),
        removed_at=_opt_dt(row["removed_at"]),
        authenticity=_opt_str(row["authenticity"]),
        authenticity_by=_opt_int(row["authenticity_by"]),
        authenticity_at=_opt_dt(row["authenticity_at"]),
        authenticity_reason=_opt_str(row["authenticity_reason"]),
        lateness=_opt_str(row["lateness"]),
    )


def evidence_request_from_row(row: Row) -> EvidenceRequest:
    return EvidenceRequest(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        number=_int(row["number"]),
        mediator_id=_int(row["mediator_id"]),
        party_role=Role(_str(row["party_role"])),
        what=_str(row["what"]),
        due_at=_dt(row["due_at"]),
        deadline_id=_opt_int(row["deadline_id"]),
        status=_str(row["status"]),
        answers=[int(n) for n in row["answers"] or []],
        created_at=_dt(row["created_at"]),
        closed_at=_opt_dt(row["closed_at"]),
    )


def deadline_from_row(row: Row) -> Deadline:
    return Deadline(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        kind=DeadlineKind(_str(row["kind"])),
        started_at=_dt(row["started_at"]),
        due_at=_dt(row["due_at"]),
        status=_str(row["status"]),
        next_reminder_at=_opt_dt(row["next_reminder_at"]),
        reminders_sent=_int(row["reminders_sent"]),
        reminder_times=[_dt(t) for t in _list(row["reminder_times"])],
        created_at=_dt(row["created_at"]),
        closed_at=_opt_dt(row["closed_at"]),
    )


def event_from_row(row: Row) -> HistoryEvent:
    return HistoryEvent(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        seq=_int(row["seq"]),
        actor_id=_opt_int(row["actor_id"]),
        actor_role=Role(_str(row["actor_role"])),
        kind=_str(row["kind"]),
        payload=_dict(row["payload"]),
        created_at=_dt(row["created_at"]),
        prev_hash=_str(row["prev_hash"]),
        hash=_str(row["hash"]),
    )


def token_from_row(row: Row) -> InviteToken:
    return InviteToken(
        token=_str(row["token"]),
        case_id=_int(row["case_id"]),
        purpose=_str(row["purpose"]),
        created_by=_int(row["created_by"]),
        created_at=_dt(row["created_at"]),
        expires_at=_dt(row["expires_at"]),
        used_by=_opt_int(row["used_by"]),
        used_at=_opt_dt(row["used_at"]),
        revoked_at=_opt_dt(row["revoked_at"]),
        revoked_reason=_opt_str(row["revoked_reason"]),
    )


def chat_link_from_row(row: Row) -> ChatLink:
    return ChatLink(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        chat_id=_int(row["chat_id"]),
        user_id=_int(row["user_id"]),
        invite_link=_str(row["invite_link"]),
        status=_str(row["status"]),
        created_at=_dt(row["created_at"]),
        expires_at=_dt(row["expires_at"]),
        used_by=_opt_int(row["used_by"]),
        used_at=_opt_dt(row["used_at"]),
        revoked_at=_opt_dt(row["revoked_at"]),
    )


def chat_from_row(row: Row) -> CaseChat:
    return CaseChat(
        case_id=_int(row["case_id"]),
        chat_id=_int(row["chat_id"]),
        status=_str(row["status"]),
        can_record=bool(row["can_record"]),
        bound_by=_int(row["bound_by"]),
        bound_at=_dt(row["bound_at"]),
        title=_opt_str(row["title"]),
        updated_at=_dt(row["updated_at"]),
        former_chat_id=_opt_int(row["former_chat_id"]),
    )


def input_from_row(row: Row) -> PendingInput:
    return PendingInput(
        user_id=_int(row["user_id"]),
        chat_id=_int(row["chat_id"]),
        kind=_str(row["kind"]),
        case_id=_int(row["case_id"]),
        step=_str(row["step"]),
        data=_dict(row["data"]),
        version=_int(row["version"]),
        updated_at=_dt(row["updated_at"]),
    )


def proposal_from_row(row: Row) -> Proposal:
    return Proposal(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        number=_int(row["number"]),
        author_id=_int(row["author_id"]),
        author_role=Role(_str(row["author_role"])),
        terms=_dict(row["terms"]),
        status=_str(row["status"]),
        source=_str(row["source"]),
        created_at=_dt(row["created_at"]),
        decided_at=_opt_dt(row["decided_at"]),
        decided_by=_opt_int(row["decided_by"]),
        superseded_by=_opt_int(row["superseded_by"]),
    )


def obligation_from_row(row: Row) -> Obligation:
    return Obligation(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        proposal_id=_opt_int(row["proposal_id"]),
        number=_int(row["number"]),
        party_role=Role(_str(row["party_role"])),
        kind=_str(row["kind"]),
        amount=opt_decimal(row["amount"]),
        currency=_opt_str(row["currency"]),
        due_at=_dt(row["due_at"]),
        details=_dict(row["details"]),
        status=_str(row["status"]),
        done_at=_opt_dt(row["done_at"]),
        done_by=_opt_int(row["done_by"]),
        proof_evidence_number=_opt_int(row["proof_evidence_number"]),
        confirmed_at=_opt_dt(row["confirmed_at"]),
        confirmed_by=_opt_int(row["confirmed_by"]),
        created_at=_dt(row["created_at"]),
        disputed_at=_opt_dt(row["disputed_at"]),
        disputed_by=_opt_int(row["disputed_by"]),
        dispute_reason=_opt_str(row["dispute_reason"]),
        decision_id=_opt_int(row["decision_id"]),
    )


def bidding_from_row(row: Row) -> BlindBidding:
    return BlindBidding(
        case_id=_int(row["case_id"]),
        status=_str(row["status"]),
        offered_by_role=Role(_str(row["offered_by_role"])),
        buyer_opted_in=bool(row["buyer_opted_in"]),
        supplier_opted_in=bool(row["supplier_opted_in"]),
        rounds_done=_int(row["rounds_done"]),
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
    )


def round_from_row(row: Row) -> BidRound:
    """A round without its figures: only whether each one is in."""
    return BidRound(
        case_id=_int(row["case_id"]),
        round_no=_int(row["round_no"]),
        status=_str(row["status"]),
        midpoint=opt_decimal(row["midpoint"]),
        buyer_midpoint_answer=_opt_bool(row["buyer_midpoint_answer"]),
        supplier_midpoint_answer=_opt_bool(row["supplier_midpoint_answer"]),
        created_at=_dt(row["created_at"]),
        resolved_at=_opt_dt(row["resolved_at"]),
        buyer_bid_in=row["buyer_bid"] is not None,
        supplier_bid_in=row["supplier_bid"] is not None,
    )


def decision_from_row(row: Row) -> Decision:
    terms = row["terms"]
    return Decision(
        id=_int(row["id"]),
        case_id=_int(row["case_id"]),
        number=_int(row["number"]),
        mediator_id=_int(row["mediator_id"]),
        outcome=_str(row["outcome"]),
        terms=None if terms is None else _dict(terms),
        reasons=_str(row["reasons"]),
        cited=[int(n) for n in _list(row["cited"])],
        no_evidence=bool(row["no_evidence"]),
        created_at=_dt(row["created_at"]),
        replaces=_opt_int(row["replaces"]),
        status=_str(row["status"]),
    )
