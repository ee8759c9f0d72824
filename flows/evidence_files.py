"""Stored copies of evidence files: downloaded from Telegram, kept in the evidence store.

The store (`flows/evidence_store.py`, chosen by EVIDENCE_STORE) is content-addressed: a file's
key is its SHA-256, so the same file stored twice takes the place of one, and a stored copy is
checked against the hash in the case history whenever it is read back (`load`).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot

from flows.evidence_store import EvidenceStore, key_of

__all__ = ["EvidenceFiles", "StoredFile"]


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    key: str  # the file's key in the store (its SHA-256)


class EvidenceFiles:
    """The bot's evidence files, in one store shared by every worker."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store

    async def store_bytes(self, data: bytes) -> StoredFile:
        key = await self.store.put(data)
        return StoredFile(key_of(data), len(data), key)

    async def download(self, bot: Bot, file_id: str) -> StoredFile:
        """Fetch a file from Telegram (at most 20 MB, the Bot API's limit) and store it."""
        telegram_file = await bot.get_file(file_id)
        data = bytes(await telegram_file.download_as_bytearray())
        return await self.store_bytes(data)

    async def load(self, key: str, sha256: str) -> bytes | None:
        """The stored file, or None if the store lacks it or holds other bytes under its key."""
        data = await self.store.get(key)
        if data is None or key_of(data) != sha256.lower():
            return None
        return data
