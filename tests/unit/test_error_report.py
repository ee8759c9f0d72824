"""The operators' error report shows the first line of an exception, secrets masked, short."""

from __future__ import annotations

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
