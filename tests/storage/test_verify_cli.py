"""`disputebot verify` and `disputebot export` as an operator runs them: a real process where
what the shell sees is the point (the exit status of an intact and of an altered record), the
same command line in this process for the rest (`bot.cli.main`, the environment and working
folder an operator's shell would give it), which is seconds less per command."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text, update

from bot.cli import main
from flows.evidence_store import FolderStore, key_of
from flows.rules.lifecycle import Role
from storage import Database
from storage.tables import history_events
from tests.storage.factory import BUYER, negotiation_case

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PHOTO = b"a photo of the goods"


Run = Callable[..., subprocess.CompletedProcess[str]]


def _environment(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "HOME": str(tmp_path),
    }


def _disputebot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env |= _environment(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Run]:
    """The command in this process: `main` with the arguments, in the operator's environment
    and folder, its output and exit status (also argparse's) as `_disputebot` gives them. The
    command sets up logging (root handler and levels); they are put back afterwards."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DATABASE_")):
            monkeypatch.delenv(name)
    for name, value in _environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {
        name: logging.getLogger(name).level
        for name in ("httpx", "httpcore", "apscheduler", "aiosqlite")
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        try:
            status = main(list(args))
        except SystemExit as stop:  # argparse's exit on a bad argument
            status = stop.code if isinstance(stop.code, int) else 1
        finally:
            root.handlers[:] = handlers
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["disputebot", *args], status, out, err)

    try:
        yield run
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, was in noisy.items():
            logging.getLogger(name).setLevel(was)


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


def test_verify_export_and_verify_against_the_case_file(tmp_path: Path, in_process: Run) -> None:
    hashes = asyncio.run(_build(tmp_path))
    ok = _disputebot(tmp_path, "verify", "1")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"ok: case #1, {len(hashes)} events, head {hashes[-1]}"

    out = tmp_path / "export"
    exported = in_process("export", "1", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    document = json.loads((out / "case-1.json").read_text())
    assert (document["version"], document["reader"]["role"]) == (1, "operator")
    assert document["head"] == {"seq": len(hashes), "hash": hashes[-1]}
    assert (out / "case-1.pdf").read_bytes().startswith(b"%PDF")
    assert [e["hash"] for e in document["events"]] == hashes
    assert (out / f"E1-{key_of(PHOTO)[:12]}").read_bytes() == PHOTO
    assert in_process("verify", str(out / "case-1.json")).returncode == 0

    asyncio.run(_edit_event(tmp_path, 2))
    failed = _disputebot(tmp_path, "verify", str(out / "case-1.json"))
    assert failed.returncode == 1
    first = failed.stdout.splitlines()[0].replace("FAILED: case #1: chain: ", "")
    assert first == "event 2 (case.transition) was altered: its hash differs"

    beyond = len(hashes) + 1
    kept = in_process("verify", "1", "--head", f"{beyond}:{'0' * 64}")
    assert f"head: the head {beyond}:000000000000 (given on the command line)" in kept.stdout
    bad = in_process("verify", "1", "--head", "3:abc")
    assert bad.returncode == 2 and "COUNT:HASH" in bad.stderr
    unknown = in_process("verify", "7")
    assert (unknown.returncode, unknown.stdout.strip()) == (
        1,
        "FAILED: case #7 is not in the database",
    )
