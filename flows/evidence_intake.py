"""What a message carries as evidence: kind, file ids, name, type and size, checked on arrival.

Files over the Bot API's 20 MB download limit and types outside the allow-list are refused
here, before anything is stored, so the reader hears at once why. A file that passes is
fetched and stored at once (`fetch_new_file`): its SHA-256 says whether it is already evidence
of the case, and a file offered again is refused with the number it already has.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from telegram import Bot, Message
from telegram.error import TelegramError

from flows.claim_render import case_number, evidence_number
from flows.evidence_files import StoredFile
from flows.evidence_requests import answer_evidence
from flows.rules.lifecycle import Role
from flows.rules.validation import (
    ClaimPolicy,
    EvidenceKind,
    EvidenceTag,
    ValidationError,
    check_evidence_file,
)
from flows.services import Services
from storage import Case, DuplicateEvidence, Evidence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    kind: EvidenceKind
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    size: int | None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "kind": str(self.kind)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IncomingFile:
        return cls(**{**data, "kind": EvidenceKind(data["kind"])})


def has_attachment(message: Message) -> bool:
    """Anything that is not plain text: files, stickers, locations, contacts, polls..."""
    return message.text is None


# Message attributes that carry a file we accept, the evidence kind, and the MIME type to assume
# when Telegram gives none (photos are always JPEG, video notes MP4, voice notes Ogg/Opus).
MEDIA: tuple[tuple[str, EvidenceKind, str | None], ...] = (
    ("photo", EvidenceKind.PHOTO, "image/jpeg"),
    ("document", EvidenceKind.DOCUMENT, None),
    ("video", EvidenceKind.VIDEO, "video/mp4"),
    ("video_note", EvidenceKind.VIDEO, "video/mp4"),
    ("voice", EvidenceKind.VOICE, "audio/ogg"),
    ("audio", EvidenceKind.VOICE, None),
)


def incoming_file(message: Message) -> IncomingFile:
    """The evidence file in `message`, or ValidationError when it carries none we accept."""
    for attribute, kind, default_mime in MEDIA:
        media: Any = getattr(message, attribute)
        if not media:
            continue
        if attribute == "photo":
            media = media[-1]  # the largest size
        return IncomingFile(
            kind,
            media.file_id,
            media.file_unique_id,
            getattr(media, "file_name", None),
            getattr(media, "mime_type", None) or default_mime,
            media.file_size,
        )
    raise ValidationError("evidence.unsupported_message")


def checked_file(message: Message, policy: ClaimPolicy) -> IncomingFile:
    item = incoming_file(message)
    check_evidence_file(item.kind, item.mime_type, item.file_name, item.size, policy)
    return item


def stored_to_json(stored: StoredFile) -> dict[str, Any]:
    """A stored copy, for a pending input or a draft answer (kept until the item is added)."""
    return {"sha256": stored.sha256, "size": stored.size, "key": stored.key}


def stored_from_json(data: dict[str, Any]) -> StoredFile:
    # Inputs saved before the evidence store held a "path" instead: the key is the SHA-256.
    return StoredFile(str(data["sha256"]), int(data["size"]), str(data.get("key", data["sha256"])))


def already_evidence(case: Case | None, number: int) -> ValidationError:
    """The refusal of a file that is evidence of the case already, naming its number (and the
    case's, once it is filed: a draft has none)."""
    if case is None or case.number is None:
        return ValidationError("evidence.duplicate_draft", number=evidence_number(number))
    return ValidationError(
        "evidence.duplicate", number=evidence_number(number), case=case_number(case)
    )


async def fetch_new_file(
    services: Services, bot: Bot, case_id: int, item: IncomingFile
) -> StoredFile:
    """Download and store the file; ValidationError when Telegram does not hand it over, or
    when the same file (by SHA-256) is already evidence of the case."""
    try:
        stored = await services.files.download(bot, item.file_id)
    except TelegramError as exc:
        log.warning("evidence file %s could not be downloaded: %s", item.file_id, exc)
        raise ValidationError("evidence.download_failed") from exc
    existing = await services.db.evidence.with_file(case_id, stored.sha256)
    if existing is not None:
        log.info("file offered again as evidence; it is E%s", existing.number)
        raise already_evidence(await services.db.cases.get(case_id), existing.number)
    return stored


async def record_file(
    services: Services,
    bot: Bot,
    case_id: int,
    user_id: int,
    role: Role,
    item: IncomingFile,
    label: str,
    tag: EvidenceTag,
    stored: StoredFile | None = None,
    *,
    mediator_only: bool = False,
) -> Evidence:
    """Add a file as numbered evidence, stored (`stored`, or fetched now) and hashed in the same
    step; ValidationError when it is evidence of the case already (the claim form stores its
    own files as they arrive and adds them when they are tagged)."""
    stored = stored or await fetch_new_file(services, bot, case_id, item)
    try:
        added = await services.db.evidence.add(
            case_id,
            user_id,
            role,
            item.kind,
            label,
            str(tag),
            services.clock.now(),
            telegram_file_id=item.file_id,
            telegram_file_unique_id=item.file_unique_id,
            file_name=item.file_name,
            mime_type=item.mime_type,
            size=stored.size,
            sha256=stored.sha256,
            store_key=stored.key,
            mediator_only=mediator_only,
        )
    except DuplicateEvidence as duplicate:  # added by someone else since it was fetched
        case = await services.db.cases.get(case_id)
        raise already_evidence(case, duplicate.number) from None
    # A mediator's open request of this side is met by it, or it is late after a lapse.
    await answer_evidence(services, bot, case_id, added)
    return added
