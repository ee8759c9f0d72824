"""The `disputebot` command line: migrate, sandbox, and the same through `python -m bot`."""

from __future__ import annotations

import gc
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.cli import main


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


def _one_line(text: str) -> str:
    line = text.strip()
    assert line and "\n" not in line, text
    assert "Traceback" not in line
    return line


@pytest.mark.parametrize("port", ["70000", "-1", "65536"])
def test_sandbox_refuses_a_port_out_of_range(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--port", port]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("configuration error: --port: ")
    assert port in line and "0-65535" in line


def test_sandbox_refuses_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["sandbox", "--port", str(port)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("configuration error: --port: ")
    assert f"127.0.0.1:{port}" in line and "in use" in line


def test_standalone_sandbox_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "bot.sandbox", "--port", str(port)],
            env=_env(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "--port: " in line and f"127.0.0.1:{port}" in line


def test_migrate_refuses_an_unreachable_database_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:s3cret@127.0.0.1:1/disputes")
    assert main(["migrate"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("configuration error: DATABASE_URL: ")
    assert "bot:***@127.0.0.1:1/disputes" in line and "s3cret" not in line


@pytest.mark.parametrize("freeze", [True, False])
async def test_the_running_bot_freezes_its_start_up_heap_and_tests_do_not(
    freeze: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`disputebot run` (polling or webhook) builds with freeze_heap=True: what start-up made is
    left out of the collector's full passes; an application built for a test freezes nothing."""
    from bot import app
    from bot.config import load_settings

    async def started(*_: object) -> None:
        return None

    monkeypatch.setattr(app, "on_startup", started)
    settings = load_settings(telegram_bot_token="1:T", database_url="sqlite:///unused.db")
    application = app.build_application(settings, freeze_heap=freeze)
    gc.unfreeze()
    try:
        assert application.post_init is not None
        await application.post_init(application)
        assert (gc.get_freeze_count() > 0) is freeze
    finally:
        gc.unfreeze()


def test_the_bot_loads_no_pdf_chart_or_qr_library_until_it_needs_one(tmp_path: Path) -> None:
    """fpdf2 (with fontTools, Pillow, numpy), matplotlib and segno take some 100 MB; a worker
    loads them at its first case file, chart or invitation, not at start-up (the README's
    memory figure with 10,000 open cases)."""
    heavy = ("fpdf", "PIL", "numpy", "fontTools", "matplotlib", "segno")
    code = (
        "import sys, bot.app, bot.cli, bot.case_tools, bot.webhook; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
