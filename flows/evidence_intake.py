"""What a message carries as evidence: kind, file ids, name, type and size, checked on arrival.

Files over the Bot API's 20 MB download limit and types outside the allow-list are refused
here, before anything is stored, so the reader hears at once why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from telegram import Bot, Message

from bot.services import Services
from flows.rules.lifecycle import Role
from flows.rules.validation import (
    ClaimPolicy,
    EvidenceKind,
    EvidenceTag,
    ValidationError,
    check_evidence_file,
)
from storage import Evidence


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


async def record_file(
    services: Services,
    bot: Bot,
    case_id: int,
    user_id: int,
    role: Role,
    item: IncomingFile,
    label: str,
    tag: EvidenceTag,
) -> Evidence:
    """Add a file as numbered evidence and store its copy at once (after a claim is filed,
    files are stored as they arrive; the claim form stores its own at submission)."""
    now = services.clock.now()
    evidence = await services.db.evidence.add(
        case_id,
        user_id,
        role,
        item.kind,
        label,
        str(tag),
        now,
        telegram_file_id=item.file_id,
        telegram_file_unique_id=item.file_unique_id,
        file_name=item.file_name,
        mime_type=item.mime_type,
        size=item.size,
    )
    stored = await services.files.download(bot, item.file_id)
    return await services.db.evidence.mark_stored(
        evidence.id, stored.sha256, stored.size, str(stored.path), now
    )
