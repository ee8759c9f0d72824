"""What a message carries as evidence: kind, file ids, name, type and size, checked on arrival.

Files over the Bot API's 20 MB download limit and types outside the allow-list are refused
here, before anything is stored, so the reader hears at once why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from telegram import Message

from flows.rules.validation import ClaimPolicy, EvidenceKind, ValidationError, check_evidence_file


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


def has_attachment(message: Message) -> bool:
    """Anything that is not plain text: files, stickers, locations, contacts, polls..."""
    return message.text is None


def incoming_file(message: Message) -> IncomingFile:
    """The evidence file in `message`, or ValidationError when it carries none we accept."""
    if message.photo:
        photo = message.photo[-1]
        return IncomingFile(
            EvidenceKind.PHOTO,
            photo.file_id,
            photo.file_unique_id,
            None,
            "image/jpeg",
            photo.file_size,
        )
    if message.document:
        doc = message.document
        return IncomingFile(
            EvidenceKind.DOCUMENT,
            doc.file_id,
            doc.file_unique_id,
            doc.file_name,
            doc.mime_type,
            doc.file_size,
        )
    if message.video:
        video = message.video
        return IncomingFile(
            EvidenceKind.VIDEO,
            video.file_id,
            video.file_unique_id,
            video.file_name,
            video.mime_type or "video/mp4",
            video.file_size,
        )
    if message.video_note:
        note = message.video_note
        return IncomingFile(
            EvidenceKind.VIDEO,
            note.file_id,
            note.file_unique_id,
            None,
            "video/mp4",
            note.file_size,
        )
    if message.voice:
        voice = message.voice
        return IncomingFile(
            EvidenceKind.VOICE,
            voice.file_id,
            voice.file_unique_id,
            None,
            voice.mime_type or "audio/ogg",
            voice.file_size,
        )
    if message.audio:
        audio = message.audio
        return IncomingFile(
            EvidenceKind.VOICE,
            audio.file_id,
            audio.file_unique_id,
            audio.file_name,
            audio.mime_type,
            audio.file_size,
        )
    raise ValidationError("evidence.unsupported_message")


def checked_file(message: Message, policy: ClaimPolicy) -> IncomingFile:
    item = incoming_file(message)
    check_evidence_file(item.kind, item.mime_type, item.file_name, item.size, policy)
    return item
