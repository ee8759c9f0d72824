"""`parse_id`: only ASCII digits, only ids that fit; never an exception, whatever the text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flows.common import ROW_ID_MAX, TELEGRAM_ID_MAX, is_number, parse_id, shown_number


def test_ascii_ids() -> None:
    assert parse_id("12") == 12
    assert parse_id("#12") == 12
    assert parse_id(str(ROW_ID_MAX)) == ROW_ID_MAX
    assert parse_id(str(ROW_ID_MAX + 1)) is None
    assert parse_id(str(ROW_ID_MAX + 1), limit=TELEGRAM_ID_MAX) == ROW_ID_MAX + 1


def test_what_is_not_an_id() -> None:
    for text in ("", "#", "0", "-1", "+1", " 1", "1 ", "1_0", "1.0", "²", "①", "١٢", "1²", None):
        assert parse_id(text) is None, text
    assert parse_id("9" * 23) is None
    assert parse_id("9" * 5000) is None


def test_numbers_as_shown() -> None:
    assert is_number("#0012") and shown_number("#0012") == "#12"
    assert not is_number("²") and not is_number("#") and not is_number("")
    assert shown_number("9" * 30) == "#" + "9" * 19 + "…"


@given(st.text(max_size=40))
def test_any_text_is_an_id_or_none(text: str) -> None:
    value = parse_id(text)
    if value is not None:
        assert 0 < value <= ROW_ID_MAX
        assert set(text.removeprefix("#")) <= set("0123456789")
        assert int(text.removeprefix("#")) == value
