"""Files: storage, file ids, the Bot API file objects and the size limits.

Every file (sent by a simulated user or uploaded by the bot) is kept in memory under a
``file_id``; ``getFile`` assigns a relative ``file_path`` such as ``documents/file_3.pdf`` that
the download endpoint serves. Sizes are reported truthfully; ``fake_size`` lets a test claim a
large file without allocating it (downloads of such files are refused like Telegram does).
"""

from __future__ import annotations

import mimetypes
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import ApiError, bad_request
from bot.sandbox.schema import UploadedFile

__all__ = ["DOWNLOAD_LIMIT", "FileStore", "StoredFile", "image_size"]

DOWNLOAD_LIMIT = 20 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024

_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "video": ("videos", ".mp4"),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "sticker": ("stickers", ".webp"),
    "animation": ("animations", ".mp4"),
}
_PREFIX = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "voice": "AwAC", "sticker": "CAAC"}


@dataclass
class StoredFile:
    """One stored file."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    size: int
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0

    def body(self) -> bytes:
        """The bytes served for download (padded when the size is faked)."""
        if len(self.data) >= self.size:
            return self.data
        return self.data + bytes(self.size - len(self.data))


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG image, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = int.from_bytes(data[index + 2 : index + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height = int.from_bytes(data[index + 5 : index + 7], "big")
                width = int.from_bytes(data[index + 7 : index + 9], "big")
                return width, height
            index += 2 + length
    return None


class FileStore:
    """All files known to the sandbox."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._thumbnails: dict[str, StoredFile] = {}
        self._counter = 0

    def store(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        fake_size: int | None = None,
        duration: int = 0,
    ) -> StoredFile:
        """Keep a new file and give it ids."""
        self._counter += 1
        token = secrets.token_hex(6)
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        width, height = image_size(data) or ((1280, 960) if kind == "photo" else (0, 0))
        if kind == "sticker":
            width, height = 512, 512
        if kind == "video" and not width:
            width, height = 640, 360
        stored = StoredFile(
            file_id=f"{_PREFIX.get(kind, 'BQAC')}{self._counter:04d}sbx{token}",
            file_unique_id=f"AQAD{self._counter:04d}{token[:4]}",
            kind=kind,
            data=data,
            size=fake_size if fake_size is not None else len(data),
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            duration=duration,
        )
        self.by_id[stored.file_id] = stored
        return stored

    def from_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        """Store a file the bot uploaded, enforcing the upload limits."""
        if len(upload.data) > UPLOAD_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and len(upload.data) > PHOTO_UPLOAD_LIMIT:
            raise bad_request("PHOTO_INVALID_DIMENSIONS (photos are limited to 10 MB)")
        if not upload.data:
            raise bad_request("file must be non-empty")
        mime = upload.content_type
        if mime in (None, "application/octet-stream") and upload.filename:
            mime = mimetypes.guess_type(upload.filename)[0] or mime
        name = upload.filename if kind in ("document", "video", "audio", "animation") else None
        return self.store(upload.data, kind, file_name=name, mime_type=mime)

    def resolve(self, value: Any, kind: str, uploads: dict[str, UploadedFile]) -> StoredFile:
        """The file a send method refers to: an upload, attach://name or a file_id."""
        if isinstance(value, UploadedFile):
            return self.from_upload(value, kind)
        text = str(value)
        if text.startswith("attach://"):
            return self.from_upload(uploads[text.removeprefix("attach://")], kind)
        if text.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content (the sandbox cannot fetch URLs)")
        stored = self.by_id.get(text)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind and {stored.kind, kind} != {"document", "video"}:
            raise bad_request(
                f"wrong file identifier: can't use file of type {stored.kind} as {kind}"
            )
        return stored

    def get_file(self, file_id: str) -> dict[str, Any]:
        """getFile: a File object with a relative file_path."""
        stored = self.by_id.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        if stored.file_path is None:
            folder, default_ext = _FOLDERS.get(stored.kind, ("documents", ""))
            ext = ""
            if stored.file_name and "." in stored.file_name:
                ext = "." + stored.file_name.rsplit(".", 1)[1]
            elif stored.mime_type:
                ext = mimetypes.guess_extension(stored.mime_type) or ""
            stored.file_path = f"{folder}/file_{len(self.by_path)}{ext or default_ext}"
            self.by_path[stored.file_path] = stored
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def media(self, stored: StoredFile) -> dict[str, Any]:
        """The message field for a file: photo sizes, document, video, voice or sticker."""
        base: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        if stored.kind == "photo":
            thumb = self.thumbnail(stored)
            full = {**base, "width": stored.width, "height": stored.height}
            return {"photo": [thumb, full]}
        extra: dict[str, Any] = {}
        if stored.file_name:
            extra["file_name"] = stored.file_name
        if stored.mime_type:
            extra["mime_type"] = stored.mime_type
        if stored.kind == "video":
            extra.update(width=stored.width, height=stored.height, duration=stored.duration)
        elif stored.kind in ("voice", "audio"):
            extra["duration"] = stored.duration
            if stored.kind == "voice":
                extra.pop("file_name", None)
        elif stored.kind == "sticker":
            return {
                "sticker": {
                    **base,
                    "type": "regular",
                    "width": stored.width,
                    "height": stored.height,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                }
            }
        return {stored.kind: {**base, **extra}}

    def thumbnail(self, stored: StoredFile) -> dict[str, Any]:
        """A small PhotoSize of a photo (a separate file with the same bytes)."""
        scale = max(stored.width, stored.height, 1) / 90
        thumb = self._thumbnails.get(stored.file_id)
        if thumb is None:
            thumb = self.store(stored.data, "photo", fake_size=stored.size)
            self._thumbnails[stored.file_id] = thumb
        return {
            "file_id": thumb.file_id,
            "file_unique_id": thumb.file_unique_id,
            "file_size": thumb.size,
            "width": max(int(stored.width / scale), 1),
            "height": max(int(stored.height / scale), 1),
        }
