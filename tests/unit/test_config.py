"""Configuration: defaults, URL mapping, and one clear line per bad value."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_URL",
        "DATABASE_URL",
        "DEFAULT_LANGUAGE",
        "LOG_LEVEL",
        "NEGOTIATION_DAYS",
        "NEGOTIATION_CAP_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    settings = load_settings()
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.bot_base_url == "https://api.telegram.org/bot"
    assert settings.bot_file_base_url == "https://api.telegram.org/file/bot"
    assert settings.database_url == "sqlite+aiosqlite:///data/disputebot.db"
    assert settings.deadline_policy().supplier_response.days == 3


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///tmp/x.db", "sqlite+aiosqlite:///tmp/x.db"),
        ("postgresql://bot@db/disputes", "postgresql+asyncpg://bot@db/disputes"),
        ("postgresql+asyncpg://bot@db/disputes", "postgresql+asyncpg://bot@db/disputes"),
    ],
)
def test_database_url_mapping(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().database_url == expected


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("DEFAULT_LANGUAGE", "fr", "DEFAULT_LANGUAGE"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "DEFAULT_TIMEZONE"),
        ("SUPPLIER_RESPONSE_DAYS", "-1", "SUPPLIER_RESPONSE_DAYS"),
        ("TELEGRAM_API_URL", "localhost:8081", "TELEGRAM_API_URL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN: "),
        ("TELEGRAM_BOT_TOKEN", "123456", "TELEGRAM_BOT_TOKEN: "),
        ("TELEGRAM_BOT_TOKEN", "abc:DEF", "TELEGRAM_BOT_TOKEN: "),
        ("TELEGRAM_BOT_TOKEN", "123:A/B", "TELEGRAM_BOT_TOKEN: "),
        ("NEGOTIATION_DAYS", "8.5", "NEGOTIATION_DAYS: 8.5 is above NEGOTIATION_CAP_DAYS (8)"),
        ("DATABASE_URL", "postgresql://u@h/db?sslmode=sometimes", "DATABASE_URL: sslmode"),
        ("DATABASE_URL", "postgresql://u@h:port/db", "DATABASE_URL"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)


def test_a_bad_token_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in str(error.value)


@pytest.mark.parametrize(("given", "level"), [("debug", "DEBUG"), (" Warning ", "WARNING")])
def test_log_level_is_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch, given: str, level: str
) -> None:
    monkeypatch.setenv("LOG_LEVEL", given)
    assert load_settings().log_level == level


@pytest.mark.parametrize(("days", "cap"), [("8", None), ("10", "12"), ("2.5", None)])
def test_negotiation_within_its_cap_is_accepted(
    monkeypatch: pytest.MonkeyPatch, days: str, cap: str | None
) -> None:
    monkeypatch.setenv("NEGOTIATION_DAYS", days)
    if cap is not None:
        monkeypatch.setenv("NEGOTIATION_CAP_DAYS", cap)
    assert load_settings().negotiation_days == float(days)


def test_negotiation_above_a_lowered_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEGOTIATION_CAP_DAYS", "5")
    with pytest.raises(
        ConfigError, match=r"^NEGOTIATION_DAYS: 7 is above NEGOTIATION_CAP_DAYS \(5\)"
    ):
        load_settings()


def test_token_is_secret_and_required(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings().require_token()
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    settings = load_settings()
    assert settings.require_token() == "123:abc"
    assert "123:abc" not in repr(settings)


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_LANGUAGE=zh_Hans\n")
    assert load_settings().default_language == "zh_Hans"


def test_run_without_token_fails_with_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN" in result.stderr


def test_the_buyers_time_to_invite_the_supplier_is_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().deadline_policy().supplier_invitation == timedelta(days=7)
    monkeypatch.setenv("INVITATION_MAKE_DAYS", "2.5")
    assert load_settings().deadline_policy().supplier_invitation == timedelta(days=2, hours=12)
    monkeypatch.setenv("INVITATION_MAKE_DAYS", "0")
    with pytest.raises(ConfigError, match="INVITATION_MAKE_DAYS"):
        load_settings()
