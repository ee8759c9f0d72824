"""Stored copies of evidence files: downloaded from Telegram, kept content-addressed.

The path of a file is derived from its SHA-256, so the same file stored twice takes the place
of one, and a stored copy can always be checked against the hash in the case history.
`check_writable` runs at start-up: a folder the bot cannot write to would otherwise be found
only when a buyer's evidence fails to save.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class EvidenceFiles:
    """Content-addressed storage under `EVIDENCE_DIR`: `<root>/ab/abcdef...`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def check_writable(self) -> None:
        """Create the folder if needed and write (and remove) a file in it; OSError if not."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-check-"):
            pass

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    async def store_bytes(self, data: bytes) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        await asyncio.to_thread(self._write, target, data)
        return StoredFile(digest, len(data), target)

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)

    async def download(self, bot: Bot, file_id: str) -> StoredFile:
        """Fetch a file from Telegram (at most 20 MB, the Bot API's limit) and store it."""
        telegram_file = await bot.get_file(file_id)
        data = bytes(await telegram_file.download_as_bytearray())
        return await self.store_bytes(data)
