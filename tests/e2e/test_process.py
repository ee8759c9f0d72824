"""`disputebot run` as a plain process against the sandbox, stopped by SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, SandboxServer
from flows.no_mediators import no_mediator_texts
from locales.i18n import Catalogs
from tests.e2e.conftest import TOKEN


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_run_process_answers_in_the_users_language_and_stops_cleanly(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path, stop_signal: int
) -> None:
    catalogs = Catalogs(substitutes=no_mediator_texts())  # no MEDIATOR_CHAT_ID: no mediators
    env = {
        **os.environ,
        "TELEGRAM_API_URL": server.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await sandbox.wait_until(
            lambda: any(m == "getUpdates" for m, _ in sandbox.requests), timeout=60
        )
        user = sandbox.user("小明", language_code="zh-hans")
        await user.send("/start")
        welcome = await user.next_message(timeout=20)
        zh = catalogs.translator("zh_Hans")
        assert welcome.text == zh.t("start.welcome", name="小明")

        menu_zh = sandbox.commands("all_private_chats", "zh")
        menu_en = sandbox.commands("all_private_chats", "")
        assert {c["command"] for c in menu_zh} >= {"start", "new", "cases", "language", "help"}
        assert "mediator" not in {c["command"] for c in menu_zh + menu_en}  # nobody to ask for
        assert next(c for c in menu_zh if c["command"] == "new")["description"] == zh.t(
            "command.new"
        )
        assert next(c for c in menu_en if c["command"] == "new")["description"] == "File a claim"
    finally:
        process.send_signal(stop_signal)
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
    log = stderr.decode()
    assert process.returncode == 0, log[-2000:]
    assert TOKEN not in log, "the token must never reach the logs"
    assert f"database sqlite+aiosqlite:///{tmp_path / 'run.db'}, " in log
    assert f"evidence folder {tmp_path / 'evidence'}" in log
