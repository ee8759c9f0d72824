"""The operators' error report: its chat is configured by id, and it shows the first line of an
exception, secrets masked, short."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.errors import DETAIL_LIMIT, MASK, detail

TOKEN = "123456:AAE-secret-part"


def test_secrets_are_masked_before_the_text_is_cut() -> None:
    padding = "x" * (DETAIL_LIMIT - 10)
    shown = detail(RuntimeError(padding + TOKEN), [TOKEN, TOKEN.partition(":")[2]])
    assert shown == padding + MASK  # cut first, "123456:AAE" would have been left
    longer = detail(RuntimeError("y" * (2 * DETAIL_LIMIT)), [])
    assert len(longer) == DETAIL_LIMIT and longer.endswith("…")


def test_only_the_first_line_and_no_trace() -> None:
    error = ValueError("database is locked\n[SQL: UPDATE cases SET ...]\nTraceback ...")
    assert detail(error, []) == "database is locked"
    assert detail(AssertionError(), []) == ""
    assert detail(RuntimeError("bot AAE-secret-part failed"), ["AAE-secret-part"]) == (
        f"bot {MASK} failed"
    )


def test_the_error_chat_is_configured_by_its_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("ERROR_CHAT_ID", raising=False)
    assert load_settings().error_chat_id is None  # off unless set
    monkeypatch.setenv("ERROR_CHAT_ID", "-1001234567890")
    assert load_settings().error_chat_id == -1001234567890
    monkeypatch.setenv("ERROR_CHAT_ID", "ops")
    with pytest.raises(ConfigError, match="ERROR_CHAT_ID"):
        load_settings()
