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
    "PARTY_CODES",
    "AcceptLate",
    "Callback",
    "ConfirmStatements",
    "GiveStatement",
    "HandBack",
    "LeaveOutLate",
    "OpenStatements",
    "RequestDays",
    "RequestEvidence",
    "RequestFrom",
    "TakeCase",
    "button",
    "codes",
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


def codes() -> frozenset[str]:
    """Every registered button kind's code (the forged-data fuzzing walks them all)."""
    return frozenset(_KINDS)


def pattern(kind: type[Callback]) -> str:
    """The `CallbackQueryHandler` pattern of a button kind's data."""
    return rf"^{kind.CODE}{re.escape(SEPARATOR)}"


@button("mt")
@dataclasses.dataclass(frozen=True)
class TakeCase(Callback):
    """A mediator of the pool takes an escalated case (the staff chat's Take button)."""

    case_id: int


# The mediator's panel in a case (flows/mediator_panel.py); every press is checked there
# against the case's own mediator and its state.
@button("mer")
@dataclasses.dataclass(frozen=True)
class RequestEvidence(Callback):
    """The mediator starts a request for evidence: which party?"""

    case_id: int


PARTY_CODES = {1: "buyer", 2: "supplier"}  # a party as a callback field (fields are ints)


@button("mep")
@dataclasses.dataclass(frozen=True)
class RequestFrom(Callback):
    """The party the request is for (`PARTY_CODES`)."""

    case_id: int
    party: int


@button("med")
@dataclasses.dataclass(frozen=True)
class RequestDays(Callback):
    """How many days the party has to send it."""

    case_id: int
    days: int


@button("mso")
@dataclasses.dataclass(frozen=True)
class OpenStatements(Callback):
    """The mediator asks to open the final statements round (a confirmation follows)."""

    case_id: int


@button("msc")
@dataclasses.dataclass(frozen=True)
class ConfirmStatements(Callback):
    """Confirmed: the case moves to arbitration (cannot be undone)."""

    case_id: int


@button("mla")
@dataclasses.dataclass(frozen=True)
class AcceptLate(Callback):
    """The mediator accepts a late evidence item: it counts."""

    case_id: int
    number: int


@button("mlx")
@dataclasses.dataclass(frozen=True)
class LeaveOutLate(Callback):
    """The mediator leaves a late evidence item out."""

    case_id: int
    number: int


@button("mhb")
@dataclasses.dataclass(frozen=True)
class HandBack(Callback):
    """The mediator hands the case back to the pool (the reason is asked next)."""

    case_id: int


@button("mfs")
@dataclasses.dataclass(frozen=True)
class GiveStatement(Callback):
    """A party gives their final statement in the statements round."""

    case_id: int
