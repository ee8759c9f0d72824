"""`disputebot run` refuses bad settings with one line naming the variable, never a traceback.

Each case starts the real process against the sandbox, so Telegram answers and only the bad
setting can stop the bot. A bot that starts anyway (it polls the sandbox) fails the test at
once instead of running until a timeout.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, SandboxServer
from tests.e2e.conftest import TOKEN
from tests.s3_server import s3_server
from tests.storage.dbs import (
    fresh_postgres_url,
    postgres_url_for,
    usable_postgres_admin,
)

PASSWORD = "s3cret-pw"


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None: the bot started and was stopped by the test
    stderr: str


def _env(server: SandboxServer, tmp_path: Path, **settings: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "EVIDENCE_", "LOG_", "NEGOTIATION_"))
    }
    return {
        **inherited,
        "TELEGRAM_API_URL": server.url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "LOG_LEVEL": "WARNING",  # a refusal must be the only line on stderr
        "SWEEP_INTERVAL_SECONDS": "0",
        **settings,
    }


def _polled(sandbox: Sandbox) -> bool:
    return any(method == "getUpdates" for method, _ in sandbox.requests)


async def run_bot(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path, **settings: str
) -> Outcome:
    """Start `disputebot run`; wait until it exits or polls (then stop it with SIGTERM)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=_env(server, tmp_path, **settings),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    finished = asyncio.create_task(process.communicate())
    polling = asyncio.create_task(sandbox.wait_until(lambda: _polled(sandbox), timeout=90))
    await asyncio.wait({finished, polling}, return_when=asyncio.FIRST_COMPLETED)
    polling.cancel()
    started = not finished.done()
    if started:
        process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(60):
        _, stderr = await finished
    return Outcome(None if started else process.returncode, stderr.decode())


def assert_refused(outcome: Outcome, variable: str) -> str:
    """The bot did not start; stderr is one line naming `variable`. Returns that line."""
    assert outcome.returncode is not None, f"started despite a bad {variable}:\n{outcome.stderr}"
    assert outcome.returncode != 0
    line = outcome.stderr.strip()
    assert "\n" not in line, outcome.stderr
    assert "Traceback" not in line
    assert line.startswith(f"configuration error: {variable}: "), line
    return line


@pytest.fixture
async def postgres_admin() -> AsyncIterator[str]:
    """The test PostgreSQL server's admin URL (skips without one, fails under CI=true)."""
    admin = await usable_postgres_admin()
    yield admin


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    userinfo, host = rest.split("@", 1)
    return f"{scheme}://{userinfo.split(':', 1)[0]}:{PASSWORD}@{host}"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "digits"),
        ("TELEGRAM_BOT_TOKEN", "987654:", "digits"),
        ("NEGOTIATION_DAYS", "9", "NEGOTIATION_CAP_DAYS (8)"),
        ("EVIDENCE_STORE", "ftp://files/evidence", "unknown kind 'ftp'"),
        ("EVIDENCE_STORE", "s3://?endpoint=http://127.0.0.1:1", "s3:// needs a bucket"),
    ],
)
async def test_a_bad_value_is_refused_in_one_line(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path, variable: str, value: str, says: str
) -> None:
    outcome = await run_bot(sandbox, server, tmp_path, **{variable: value})
    line = assert_refused(outcome, variable)
    assert says in line
    if variable == "TELEGRAM_BOT_TOKEN":
        assert value not in line.removeprefix(f"configuration error: {variable}: ")


async def test_a_token_the_server_rejects_is_refused_in_one_line_without_the_token(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    rejected = "987654:NOT-THIS-BOTS-TOKEN"
    outcome = await run_bot(sandbox, server, tmp_path, TELEGRAM_BOT_TOKEN=rejected)
    line = assert_refused(outcome, "TELEGRAM_BOT_TOKEN")
    assert "rejected the token" in line
    assert rejected not in outcome.stderr and "NOT-THIS" not in outcome.stderr


async def test_an_address_that_is_no_bot_api_server_is_refused_in_one_line(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    # The sandbox's control API answers 404 pages, not Bot API JSON: as a wrong address would.
    outcome = await run_bot(
        sandbox, server, tmp_path, TELEGRAM_API_URL=f"{server.url}/_sandbox/nothing"
    )
    line = assert_refused(outcome, "TELEGRAM_BOT_TOKEN")
    assert "TELEGRAM_API_URL" in line
    assert TOKEN not in outcome.stderr


async def test_an_evidence_folder_that_cannot_be_written_is_refused(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    # A file where a folder should be: unwritable even for root, unlike a chmod.
    (tmp_path / "taken").write_text("a file, not a folder")
    outcome = await run_bot(
        sandbox, server, tmp_path, EVIDENCE_DIR=str(tmp_path / "taken" / "evidence")
    )
    line = assert_refused(outcome, "EVIDENCE_DIR")
    assert str(tmp_path / "taken" / "evidence") in line


async def test_an_unreachable_evidence_store_is_refused(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    # Nothing listens on port 1; then a server that answers but has no such bucket.
    outcome = await run_bot(
        sandbox, server, tmp_path, EVIDENCE_STORE="s3://evidence?endpoint=http://127.0.0.1:1"
    )
    line = assert_refused(outcome, "EVIDENCE_STORE")
    assert "bucket 'evidence' cannot be reached" in line
    with s3_server() as endpoint:
        store = f"s3://missing/cases?endpoint={endpoint}"
        outcome = await run_bot(sandbox, server, tmp_path, EVIDENCE_STORE=store)
    line = assert_refused(outcome, "EVIDENCE_STORE")
    assert "bucket 'missing' cannot be reached" in line


async def test_a_sqlite_path_that_cannot_be_created_is_refused(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    database = tmp_path / "taken" / "bot.db"
    outcome = await run_bot(sandbox, server, tmp_path, DATABASE_URL=f"sqlite:///{database}")
    line = assert_refused(outcome, "DATABASE_URL")
    assert str(database) in line


async def test_an_unreachable_database_is_refused_without_its_password(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path
) -> None:
    # Port 1 on the loopback: nothing listens there, the connection is refused at once.
    url = f"postgresql://bot:{PASSWORD}@127.0.0.1:1/disputes"
    outcome = await run_bot(sandbox, server, tmp_path, DATABASE_URL=url)
    line = assert_refused(outcome, "DATABASE_URL")
    assert "bot:***@127.0.0.1:1/disputes" in line
    assert PASSWORD not in outcome.stderr


async def test_a_database_that_does_not_exist_is_refused(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path, postgres_admin: str
) -> None:
    url = _with_password(postgres_url_for("disputebot_test_no_such_database", postgres_admin))
    outcome = await run_bot(sandbox, server, tmp_path, DATABASE_URL=url)
    line = assert_refused(outcome, "DATABASE_URL")
    assert "disputebot_test_no_such_database" in line
    assert "does not exist" in line
    assert PASSWORD not in outcome.stderr


@pytest.mark.parametrize("sslmode", ["disable", "prefer"])
async def test_a_managed_host_url_with_sslmode_starts_and_the_log_names_database_and_folder(
    sandbox: Sandbox, server: SandboxServer, tmp_path: Path, postgres_admin: str, sslmode: str
) -> None:
    """`?sslmode=` as managed hosts give it out works; the start-up log names the database
    (password hidden) and the evidence folder."""
    async with fresh_postgres_url(postgres_admin) as plain:
        url = f"{_with_password(plain)}?sslmode={sslmode}"
        outcome = await run_bot(sandbox, server, tmp_path, DATABASE_URL=url, LOG_LEVEL="INFO")
    assert outcome.returncode is None, f"did not start:\n{outcome.stderr}"
    database = plain.rsplit("/", 1)[1]
    startup = next(line for line in outcome.stderr.splitlines() if " starting: " in line)
    assert "database postgresql+asyncpg://postgres:***@" in startup
    assert f"/{database}?ssl={sslmode}, " in startup
    assert str(tmp_path / "evidence") in startup
    assert PASSWORD not in outcome.stderr
    assert "Traceback" not in outcome.stderr
