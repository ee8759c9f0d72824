"""The webhook settings (`run --webhook`): defaults, what is refused, and what it requires."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from bot.config import ConfigError, load_settings
from bot.webhook import listen
from flows.metrics import update_kind

WEBHOOK_VARIABLES = (
    "WEBHOOK_URL",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "WEBHOOK_SECRET_TOKEN",
    "WEBHOOK_MAX_CONNECTIONS",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in WEBHOOK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_and_what_webhook_mode_requires() -> None:
    settings = load_settings()
    assert (settings.webhook_url, settings.webhook_secret_token) == (None, None)
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8443)
    assert settings.webhook_max_connections == 40
    with pytest.raises(ConfigError) as error:
        settings.require_webhook()
    assert str(error.value).startswith("WEBHOOK_URL: not set; ")
    assert "; WEBHOOK_SECRET_TOKEN: not set; " in str(error.value)

    ready = load_settings(
        webhook_url=" https://bot.example.com/telegram ", webhook_secret_token="abc_DEF-123"
    )
    assert ready.require_webhook() == ("https://bot.example.com/telegram", "abc_DEF-123")
    assert "abc_DEF-123" not in repr(ready), "the secret is a SecretStr"
    local = load_settings(webhook_url="http://127.0.0.1:8081/hook", webhook_secret_token="s")
    assert local.require_webhook()[0] == "http://127.0.0.1:8081/hook"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("WEBHOOK_URL", "bot.example.com/telegram", "WEBHOOK_URL: must be a URL such as"),
        ("WEBHOOK_URL", "http://bot.example.com/hook", "WEBHOOK_URL: must start with https://"),
        ("WEBHOOK_URL", "ftp://bot.example.com/hook", "WEBHOOK_URL: must be a URL such as"),
        ("WEBHOOK_SECRET_TOKEN", "with space", "WEBHOOK_SECRET_TOKEN: must be 1 to 256"),
        ("WEBHOOK_SECRET_TOKEN", "x" * 257, "WEBHOOK_SECRET_TOKEN: must be 1 to 256"),
        ("WEBHOOK_SECRET_TOKEN", "密码", "WEBHOOK_SECRET_TOKEN: must be 1 to 256"),
        ("WEBHOOK_PORT", "65536", "WEBHOOK_PORT: "),
        ("WEBHOOK_PORT", "https", "WEBHOOK_PORT: "),
        ("WEBHOOK_MAX_CONNECTIONS", "101", "WEBHOOK_MAX_CONNECTIONS: "),
        ("WEBHOOK_MAX_CONNECTIONS", "0", "WEBHOOK_MAX_CONNECTIONS: "),
    ],
)
def test_a_bad_webhook_value_names_the_variable_and_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert fragment in str(error.value)
    assert "\n" not in str(error.value)
    if name == "WEBHOOK_SECRET_TOKEN":
        assert value not in str(error.value)


def test_a_listen_address_that_cannot_be_used_is_named() -> None:
    taken = listen("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"WEBHOOK_PORT: 127.0.0.1:{port} is already in use"):
            listen("127.0.0.1", port)
    finally:
        taken.close()
    with pytest.raises(ConfigError, match="WEBHOOK_LISTEN: "):
        listen("no-such-host.invalid", 0)


def test_update_kinds_are_the_bot_apis_names() -> None:
    user = User(1, "A", False)
    query = CallbackQuery("1", user, "chat", data="x")
    edited = Message(1, datetime(2026, 1, 1, tzinfo=UTC), Chat(1, "private"))
    assert update_kind(Update(5, callback_query=query)) == "callback_query"
    assert update_kind(Update(6, edited_message=edited)) == "edited_message"
    assert update_kind("not an update") == "other"
