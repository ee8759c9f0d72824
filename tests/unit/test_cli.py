"""The `disputebot` command line: migrate, sandbox, and the same through `python -m bot`."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return {**env, "HOME": str(tmp_path), **extra}


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "bot.db"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env=_env(tmp_path, DATABASE_URL=f"sqlite:///{db}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    tables = {
        row[0]
        for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"cases", "case_events", "evidence", "deadlines", "users"} <= tables or {
        "cases",
        "evidence",
        "deadlines",
        "users",
    } <= tables
    again = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env=_env(tmp_path, DATABASE_URL=f"sqlite:///{db}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert again.returncode == 0, again.stderr


def test_sandbox_command_prints_a_working_url(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--token", "1:T"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        answer = httpx.get(f"{match.group(0)}/bot1:T/getMe", timeout=10).json()
        assert answer["ok"] and answer["result"]["is_bot"]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert process.returncode in (0, -signal.SIGINT)
