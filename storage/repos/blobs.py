"""Evidence files kept in the database itself (`EVIDENCE_STORE=database:`), and the rows from
before migration 0010 whose file still lies at a path of one machine.

A blob is content-addressed: its key is the SHA-256 of its bytes, so writing the same file twice
(two workers storing one upload, a retried move) leaves one row and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.repos.base import Repo, dialect_insert
from storage.tables import evidence, evidence_blobs

__all__ = ["BlobRepo", "LegacyFile"]


@dataclass(frozen=True)
class LegacyFile:
    """An evidence row stored before 0010: its hash and the path it was stored at."""

    evidence_id: int
    sha256: str
    path: str


class BlobRepo(Repo):
    """Bytes by key in `evidence_blobs`, and the moves of pre-0010 rows to a store key."""

    async def put(self, key: str, data: bytes, now: datetime) -> None:
        """Keep `data` under `key` unless a blob with that key is already there."""
        try:
            async with self._write(ledger=False) as conn:
                await conn.execute(
                    dialect_insert(conn, evidence_blobs)
                    .values(key=key, size=len(data), data=data, created_at=now)
                    .on_conflict_do_nothing(index_elements=["key"])
                )
        except IntegrityError:  # a concurrent writer of the same content got there first
            if not await self.exists(key):
                raise

    async def replace(self, key: str, data: bytes, now: datetime) -> None:
        """Put `data` under `key` in place of what is there (a bad copy found by `verify`)."""
        async with self._write(ledger=False) as conn:
            await conn.execute(delete(evidence_blobs).where(evidence_blobs.c.key == key))
            await conn.execute(
                insert(evidence_blobs).values(key=key, size=len(data), data=data, created_at=now)
            )

    async def get(self, key: str) -> bytes | None:
        async with self._read() as conn:
            data = await conn.scalar(
                select(evidence_blobs.c.data).where(evidence_blobs.c.key == key)
            )
        return None if data is None else bytes(data)

    async def exists(self, key: str) -> bool:
        async with self._read() as conn:
            found = await conn.scalar(
                select(evidence_blobs.c.key).where(evidence_blobs.c.key == key)
            )
        return found is not None

    async def legacy_files(self, after: int = 0, limit: int = 100) -> list[LegacyFile]:
        """Rows stored before 0010 that still name a local path and no store key, by id."""
        async with self._read() as conn:
            rows = await conn.execute(
                select(evidence.c.id, evidence.c.sha256, evidence.c.stored_path)
                .where(
                    evidence.c.stored_path.is_not(None),
                    evidence.c.store_key.is_(None),
                    evidence.c.sha256.is_not(None),
                    evidence.c.id > after,
                )
                .order_by(evidence.c.id)
                .limit(limit)
            )
            return [LegacyFile(int(r.id), str(r.sha256), str(r.stored_path)) for r in rows]

    async def moved(self, evidence_id: int, store_key: str) -> None:
        """Record that a pre-0010 row's file is in the store under `store_key`."""
        async with self._write(ledger=False) as conn:
            await conn.execute(
                update(evidence)
                .where(evidence.c.id == evidence_id)
                .values(store_key=store_key, stored_path=None)
            )
