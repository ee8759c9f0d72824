"""Operating `run --webhook`: /healthz follows the database (PostgreSQL taken away and given
back), and webhook settings the bot cannot use stop it with one line naming the variable."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.sandbox import Sandbox, SandboxServer
from tests.storage.dbs import (
    fresh_postgres_url,
    postgres_admin_url,
    sqlite_url,
    usable_postgres_admin,
)
from tests.webhook_process import WebhookProcess


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    admin = await usable_postgres_admin()
    async with fresh_postgres_url(admin) as url:
        yield url


async def _allow_connections(url: str, allowed: bool) -> None:
    """Let the bot's database take connections, or close it and cut the ones it has."""
    name = make_url(url).database
    conn = await asyncpg.connect(_dsn(postgres_admin_url()), timeout=10)
    try:
        await conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_healthz_answers_503_while_the_database_is_unreachable(
    sandbox: Sandbox, server: SandboxServer, postgres_url: str, tmp_path: Path
) -> None:
    bot = WebhookProcess(sandbox, server, postgres_url, tmp_path)
    await bot.start()
    try:
        assert await bot.get("/healthz") == (200, '{"status":"ok","database":"ok"}')
        await _allow_connections(postgres_url, False)
        try:
            status, body = await bot.get("/healthz")
            assert status == 503
            assert json.loads(body)["status"] == "unavailable"
            assert json.loads(body)["database"].startswith("unreachable")
            samples = await bot.metrics()  # the metrics still answer, and say so
            assert samples[("disputebot_database_up", ())] == 0
        finally:
            await _allow_connections(postgres_url, True)
        assert (await bot.get("/healthz"))[0] == 200
        assert (await bot.metrics())[("disputebot_database_up", ())] == 1
        assert "health check: the database is unreachable" in bot.log()
    finally:
        assert await bot.stop() == 0


async def _refusal(bot: WebhookProcess, **settings: str) -> tuple[int, str]:
    env = {**bot.env(LOG_LEVEL="WARNING"), **settings}
    env = {k: v for k, v in env.items() if v != "<unset>"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--webhook",
        env=env,
        cwd=bot.tmp,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        _, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_webhook_settings_it_cannot_use_stop_it_with_one_line(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    bot = WebhookProcess(sandbox, server, sqlite_url(tmp_path / "data"), tmp_path)
    cases = [
        (
            {"WEBHOOK_URL": "<unset>", "WEBHOOK_SECRET_TOKEN": "<unset>"},
            "configuration error: WEBHOOK_URL: not set; the public HTTPS URL Telegram posts "
            "updates to (https://bot.example.com/telegram); WEBHOOK_SECRET_TOKEN: not set;",
        ),
        (
            {"WEBHOOK_URL": "http://bot.example.com/telegram"},
            "configuration error: WEBHOOK_URL: must start with https:// (Telegram posts "
            "updates only over HTTPS)",
        ),
        (
            {"WEBHOOK_SECRET_TOKEN": "has spaces and ünïcode"},
            "configuration error: WEBHOOK_SECRET_TOKEN: must be 1 to 256 characters",
        ),
        ({"WEBHOOK_PORT": "70000"}, "configuration error: WEBHOOK_PORT: "),
        ({"WEBHOOK_MAX_CONNECTIONS": "0"}, "configuration error: WEBHOOK_MAX_CONNECTIONS: "),
    ]
    for settings, expected in cases:
        code, stderr = await _refusal(bot, **settings)
        assert (code, stderr.splitlines()[0][: len(expected)]) == (2, expected), stderr
        assert len(stderr.splitlines()) == 1, stderr
        assert "ünïcode" not in stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, stderr = await _refusal(bot, WEBHOOK_PORT=port)
    assert code == 2, stderr
    assert stderr.strip() == (
        f"configuration error: WEBHOOK_PORT: 127.0.0.1:{port} is already in use; "
        "choose another port"
    )
    assert not sandbox.webhook.active, "nothing was set up"
