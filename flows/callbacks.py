"""Typed callback data: one small dataclass per button kind, encoded and checked here only.

A button's data is its kind's code and its fields, `:`-joined ("mt:42"), within Telegram's
64 bytes. `decode` gives back the dataclass or None for anything the bot did not make (an
unknown code, a wrong number of parts, an id that is not ASCII digits or is out of range), so
no handler splits strings or checks digits by hand. Each kind is registered once with its
code (`@button("mt")`); a handler takes its pattern from `pattern(Kind)`.

The mediators' buttons use it first; the older buttons move to it in a later change.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import ClassVar, TypeVar

from flows.common import CALLBACK_LIMIT, ROW_ID_MAX, SEPARATOR, parse_id

__all__ = [
    "Callback",
    "DecisionStep",
    "ReconsiderCancel",
    "TakeCase",
    "button",
    "decode",
    "encode",
    "pattern",
]


class Callback:
    """A button kind. Subclasses are frozen dataclasses whose fields are positive int ids."""

    CODE: ClassVar[str] = ""


_KINDS: dict[str, type[Callback]] = {}
K = TypeVar("K", bound=type[Callback])
_CODE = re.compile(r"[a-z]{2,3}")


def button(code: str) -> Callable[[K], K]:
    """Register a button kind under `code` (2-3 lowercase letters, unique)."""

    def register(cls: K) -> K:
        if not _CODE.fullmatch(code) or code in _KINDS:
            raise ValueError(f"bad or duplicate callback code {code!r}")
        for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
            if spec.type not in ("int", int):
                raise TypeError(f"{cls.__name__}.{spec.name}: callback fields are int ids")
        cls.CODE = code
        _KINDS[code] = cls
        return cls

    return register


def encode(data: Callback) -> str:
    """The callback data of a button; ValueError if over Telegram's 64 bytes."""
    values = [str(getattr(data, spec.name)) for spec in dataclasses.fields(data)]  # type: ignore[arg-type]
    text = SEPARATOR.join([data.CODE, *values])
    if len(text.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {text!r}")
    return text


C = TypeVar("C", bound=Callback)


def decode(data: str | None, kind: type[C]) -> C | None:
    """`data` as a `kind` button, or None when it is not one the bot made."""
    if not data:
        return None
    code, *parts = data.split(SEPARATOR)
    if _KINDS.get(code) is not kind:
        return None
    specs = dataclasses.fields(kind)  # type: ignore[arg-type]
    if len(parts) != len(specs):
        return None
    values = [parse_id(part, ROW_ID_MAX) for part in parts]
    if any(value is None for value in values):
        return None
    return kind(*values)


def pattern(kind: type[Callback]) -> str:
    """The `CallbackQueryHandler` pattern of a button kind's data."""
    return rf"^{kind.CODE}{re.escape(SEPARATOR)}"


@button("mt")
@dataclasses.dataclass(frozen=True)
class TakeCase(Callback):
    """A mediator of the pool takes an escalated case (the staff chat's Take button)."""

    case_id: int


@button("dd")
@dataclasses.dataclass(frozen=True)
class DecisionStep(Callback):
    """A step of the mediator's decision being built (`flows/decision_builder.py`): `action`
    is one of that module's DecisionAction values."""

    case_id: int
    action: int


@button("rc")
@dataclasses.dataclass(frozen=True)
class ReconsiderCancel(Callback):
    """A party drops the reconsideration request they are writing."""

    case_id: int
