"""Small pieces every flow uses: callback data, keyboards, and replying to the reader.

Callback data is a short action code plus ids (at most 64 bytes, Telegram's limit). It is only
a request: the handler that receives it re-checks on the server who may press it.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

CALLBACK_LIMIT = 64
SEPARATOR = ":"

Button = tuple[str, str]  # (label, callback data, or a link that the button opens)
LINK_PREFIXES = ("https://", "http://", "tg://")


def pack(*parts: object) -> str:
    """Join an action code and its arguments into callback data."""
    data = SEPARATOR.join(str(part) for part in parts)
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return data


def unpack(data: str | None) -> list[str]:
    return data.split(SEPARATOR) if data else []


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
