"""`disputebot verify` and `disputebot export` as an operator runs them (a real process)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text, update

from flows.evidence_store import FolderStore, key_of
from flows.rules.lifecycle import Role
from storage import Database
from storage.tables import history_events
from tests.storage.factory import BUYER, negotiation_case

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PHOTO = b"a photo of the goods"


def _disputebot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _build(tmp_path: Path) -> list[str]:
    """A case with a stored evidence file; the hashes of its events."""
    db = await Database.connect(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        case = await negotiation_case(db, NOW)
        key = await FolderStore(tmp_path / "evidence").put(PHOTO)
        await db.evidence.add(
            case.id, BUYER, Role.BUYER, "photo", "goods", "damage", NOW,
            sha256=key_of(PHOTO), store_key=key, size=len(PHOTO),
        )  # fmt: skip
        return [e.hash for e in await db.history.list(case.id)]
    finally:
        await db.dispose()


async def _edit_event(tmp_path: Path, seq: int) -> None:
    db = await Database.connect(f"sqlite:///{tmp_path / 'bot.db'}", migrate=False)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER history_events_no_update"))
            await conn.execute(
                update(history_events)
                .where(history_events.c.seq == seq)
                .values(payload={"edited": True})
            )
    finally:
        await db.dispose()


def test_verify_export_and_verify_against_the_case_file(tmp_path: Path) -> None:
    hashes = asyncio.run(_build(tmp_path))
    ok = _disputebot(tmp_path, "verify", "1")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"ok: case #1, {len(hashes)} events, head {hashes[-1]}"

    out = tmp_path / "export"
    exported = _disputebot(tmp_path, "export", "1", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    document = json.loads((out / "case-1.json").read_text())
    assert (document["version"], document["reader"]["role"]) == (1, "operator")
    assert document["head"] == {"seq": len(hashes), "hash": hashes[-1]}
    assert (out / "case-1.pdf").read_bytes().startswith(b"%PDF")
    assert [e["hash"] for e in document["events"]] == hashes
    assert (out / f"E1-{key_of(PHOTO)[:12]}").read_bytes() == PHOTO
    assert _disputebot(tmp_path, "verify", str(out / "case-1.json")).returncode == 0

    asyncio.run(_edit_event(tmp_path, 2))
    failed = _disputebot(tmp_path, "verify", str(out / "case-1.json"))
    assert failed.returncode == 1
    first = failed.stdout.splitlines()[0].replace("FAILED: case #1: chain: ", "")
    assert first == "event 2 (case.transition) was altered: its hash differs"

    beyond = len(hashes) + 1
    kept = _disputebot(tmp_path, "verify", "1", "--head", f"{beyond}:{'0' * 64}")
    assert f"head: the head {beyond}:000000000000 (given on the command line)" in kept.stdout
    bad = _disputebot(tmp_path, "verify", "1", "--head", "3:abc")
    assert bad.returncode == 2 and "COUNT:HASH" in bad.stderr
    unknown = _disputebot(tmp_path, "verify", "7")
    assert (unknown.returncode, unknown.stdout.strip()) == (
        1,
        "FAILED: case #7 is not in the database",
    )
