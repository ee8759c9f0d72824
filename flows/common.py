"""Small pieces every flow uses: keyboards, the ids people type, and callback data's limits.

Callback data is made and read only by the typed codec (flows/callbacks.py, the kinds in
flows/buttons.py). It is only a request: the handler that receives it re-checks on the server
who may press it. Ids typed in commands go through `parse_id`.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Button = tuple[str, str]  # (label, callback data, or a link that the button opens)
LINK_PREFIXES = ("https://", "http://", "tg://")


# The largest id of a row of ours: the id columns are INTEGER, and PostgreSQL refuses a bigger
# parameter outright (SQLite overflows past 2**63), so a bigger number names no row.
ROW_ID_MAX = 2**31 - 1
# Telegram user ids have at most 52 significant bits (the Bot API's promise).
TELEGRAM_ID_MAX = 2**52
_ID_DIGITS = 19  # no id has more digits; anything longer is refused before int() parses it


def parse_id(text: str | None, limit: int = ROW_ID_MAX) -> int | None:
    """A positive id written in ASCII digits (a leading "#" allowed), at most `limit`; else None.

    `str.isdigit` accepts superscripts and circled digits ("²", "①") that `int` refuses, and
    `int` accepts other scripts' digits, signs, spaces and underscores: only 0-9 count here.
    """
    if text is None:
        return None
    digits = text.removeprefix("#")
    if not digits or len(digits) > _ID_DIGITS or not (digits.isascii() and digits.isdigit()):
        return None
    value = int(digits)
    return value if 0 < value <= limit else None


def is_number(text: str) -> bool:
    """Whether `text` is written as a number (ASCII digits, a leading "#" allowed), whatever
    its size: a number too big for an id names nothing, which is not the same as no number."""
    digits = text.removeprefix("#")
    return bool(digits) and digits.isascii() and digits.isdigit()


def shown_number(text: str) -> str:
    """A number the user typed (`is_number`), as "#123", cut short if it is absurdly long."""
    digits = text.removeprefix("#")
    return "#" + (str(int(digits)) if len(digits) <= _ID_DIGITS else digits[:_ID_DIGITS] + "…")


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """An inline keyboard from rows of (label, callback data); None when there are no buttons."""
    cleaned = [[_button(label, data) for label, data in row] for row in rows]
    cleaned = [row for row in cleaned if row]
    return InlineKeyboardMarkup(cleaned) if cleaned else None


def _button(label: str, data: str) -> InlineKeyboardButton:
    if data.startswith(LINK_PREFIXES):
        return InlineKeyboardButton(label, url=data)
    return InlineKeyboardButton(label, callback_data=data)


def chunk(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]
