"""0010 and `disputebot migrate`: evidence stored before the evidence store (a path on one
machine in `evidence.stored_path`) is moved into the configured store, each row given its key.

The real command in a process of its own, on SQLite and PostgreSQL, into a folder elsewhere and
into the database itself; what was stored keeps its hash chain intact."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.evidence_store import FolderStore
from storage import Database
from storage.engine import create_engine
from storage.migrator import run_migrations

PHOTO = b"\xff\xd8\xff\xe0 a dented box"
REPORT = b"%PDF-1.4 inspection"


async def _before_0010(url: str, old: Path) -> list[str]:
    """A database at 0009 with a filed case whose two files lie under `old` (the old layout)."""
    engine = create_engine(url)
    day = datetime(2026, 11, 20, tzinfo=UTC)
    digests = []
    try:
        await run_migrations(engine, "0009")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (id, first_name, created_at, updated_at)"
                    " VALUES (1, 'Bea', :t, :t)"
                ),
                {"t": day},
            )
            await conn.execute(
                text(
                    "INSERT INTO cases (buyer_id, state, claim, created_at, submitted_at,"
                    " updated_at, last_activity_at, version, number)"
                    " VALUES (1, 'awaiting_supplier', '{}', :t, :t, :t, :t, 1, 1)"
                ),
                {"t": day},
            )
            for number, data in enumerate((PHOTO, REPORT), start=1):
                digest = hashlib.sha256(data).hexdigest()
                path = old / digest[:2] / digest
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                digests.append(digest)
                await conn.execute(
                    text(
                        "INSERT INTO evidence (case_id, number, submitter_id, submitter_role,"
                        " kind, label, tag, size, sha256, stored_path, mediator_only,"
                        " created_at, stored_at) VALUES (1, :n, 1, 'buyer', 'document', 'x',"
                        " 'other', :size, :sha, :path, false, :t, :t)"
                    ),
                    {"n": number, "size": len(data), "sha": digest, "path": str(path), "t": day},
                )
    finally:
        await engine.dispose()
    return digests


@pytest.mark.parametrize("store", ["folder", "database"])
async def test_migrate_moves_the_files_of_rows_from_before_the_store(
    empty_url: str, tmp_path: Path, store: str
) -> None:
    old = tmp_path / "old-machine" / "evidence"
    digests = await _before_0010(empty_url, old)
    setting = str(tmp_path / "new-store") if store == "folder" else "database:"
    env = {**os.environ, "DATABASE_URL": empty_url, "EVIDENCE_STORE": setting}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "database is up to date" in out.decode()

    db = await Database.connect(empty_url, migrate=False)
    try:
        items = await db.evidence.list(1)
        assert [(i.sha256, i.store_key) for i in items] == [(d, d) for d in digests]
        if store == "database":
            assert [await db.blobs.get(d) for d in digests] == [PHOTO, REPORT]
        else:
            folder = FolderStore(tmp_path / "new-store")
            assert [await folder.get(d) for d in digests] == [PHOTO, REPORT]
        async with db.engine.connect() as conn:
            paths = (await conn.execute(text("SELECT stored_path FROM evidence"))).scalars()
            assert list(paths) == [None, None]
    finally:
        await db.dispose()
