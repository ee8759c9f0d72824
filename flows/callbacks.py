"""Typed callback data: one small dataclass per button kind, encoded and checked here only.

A button's data is its kind's code and its fields, `:`-joined ("mt:42", "ob:7:d"), within
Telegram's 64 bytes. `decode` gives back the dataclass or None for anything the bot did not
make (an unknown code, a wrong number of parts, an id that is not ASCII digits or is out of
range, a value its field does not allow), so no handler splits strings or checks digits by
hand. Each kind is registered once with its code (`@button("mt")`); a handler takes its
pattern from `pattern(Kind)`.

A field is one of:
- `int`: a row id, ASCII digits, 1..ROW_ID_MAX; `Annotated[int, UpTo(n)]` for another bound
  (a Telegram user id);
- a `StrEnum`: only its values decode, to the member;
- `Annotated[str, Matching(regex, max_length)]`: a string the regex matches whole (a token, a
  zone name); a value with the separator in it could never be read back, so `encode`
  refuses it.
Registration refuses a kind whose largest data could pass 64 bytes, so a button never fails
when it is rendered with a large id. The kinds of the older buttons live in flows/buttons.py.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, ClassVar, TypeVar

from flows.common import ROW_ID_MAX

__all__ = [
    "PARTY_CODES",
    "RATING_MAX",
    "AcceptLate",
    "Callback",
    "ConfirmStatements",
    "DecideCase",
    "DecisionStep",
    "GiveStatement",
    "HandBack",
    "LeaveOutLate",
    "Matching",
    "MediatorProposalAccept",
    "MediatorProposalConfirm",
    "MediatorProposalKeep",
    "MediatorProposalReject",
    "OpenStatements",
    "ProposeSettlement",
    "RateProcess",
    "RatingSkipComment",
    "ReconsiderCancel",
    "RequestDays",
    "RequestEvidence",
    "RequestFrom",
    "TakeCase",
    "UpTo",
    "button",
    "code_of",
    "decode",
    "encode",
    "kind_of",
    "kinds",
    "pattern",
    "subject",
]

CALLBACK_LIMIT = 64  # bytes: Telegram refuses longer callback data
SEPARATOR = ":"  # between the code and the fields; no field value contains it
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit would take "²" and "١"


class Callback:
    """A button kind. Subclasses are frozen dataclasses registered with `@button(code)`."""

    CODE: ClassVar[str] = ""


@dataclass(frozen=True)
class UpTo:
    """An int field's largest value (1 is always the smallest)."""

    limit: int


@dataclass(frozen=True)
class Matching:
    """A str field's shape: `regex` matches the whole value, of at most `max_length` chars."""

    regex: str
    max_length: int


@dataclass(frozen=True)
class _Field:
    """How one field is written and read back."""

    name: str
    parse: Callable[[str], object | None]  # the wire text as the field's value, or None
    width: int  # the most characters the field takes on the wire


_KINDS: dict[str, type[Callback]] = {}
_FIELDS: dict[type[Callback], tuple[_Field, ...]] = {}
K = TypeVar("K", bound=type[Callback])
_CODE = re.compile(r"[a-z]{2,3}")
# The claim form's "f" and the language choice's "lang" were made before codes were 2-3
# letters; messages already sent carry them, so they stay, and no other exception is made.
_OLDER_CODES = frozenset({"f", "lang"})


def _int_field(name: str, limit: int) -> _Field:
    def parse(text: str) -> int | None:
        if not _DIGITS.fullmatch(text):
            return None
        value = int(text)
        return value if 0 < value <= limit else None

    return _Field(name, parse, len(str(limit)))


def _enum_field(name: str, enum: type[StrEnum]) -> _Field:
    members = {member.value: member for member in enum}
    if not members or any(SEPARATOR in value or not value for value in members):
        raise TypeError(f"{enum.__name__}: values must be non-empty and without {SEPARATOR!r}")
    return _Field(name, members.get, max(len(value.encode()) for value in members))


def _str_field(name: str, shape: Matching) -> _Field:
    compiled = re.compile(shape.regex)

    def parse(text: str) -> str | None:
        if len(text) > shape.max_length or not compiled.fullmatch(text):
            return None
        return text

    # A matching value is ASCII or not: count 4 bytes a character unless the regex is ASCII.
    width = shape.max_length * (1 if shape.regex.isascii() else 4)
    return _Field(name, parse, width)


def _fields_of(cls: type[Callback]) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    fields: list[_Field] = []
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        hint = hints[spec.name]
        extras: tuple[object, ...] = ()
        if typing.get_origin(hint) is Annotated:
            hint, *rest = typing.get_args(hint)
            extras = tuple(rest)
        if hint is int:
            bound = next((e.limit for e in extras if isinstance(e, UpTo)), ROW_ID_MAX)
            fields.append(_int_field(spec.name, bound))
        elif isinstance(hint, type) and issubclass(hint, StrEnum):
            fields.append(_enum_field(spec.name, hint))
        elif hint is str and any(isinstance(e, Matching) for e in extras):
            shape = next(e for e in extras if isinstance(e, Matching))
            fields.append(_str_field(spec.name, shape))
        else:
            raise TypeError(
                f"{cls.__name__}.{spec.name}: a callback field is an int, a StrEnum or "
                "Annotated[str, Matching(...)]"
            )
    return tuple(fields)


def button(code: str) -> Callable[[K], K]:
    """Register a button kind under `code` (2-3 lowercase letters, unique)."""

    def register(cls: K) -> K:
        if not (_CODE.fullmatch(code) or code in _OLDER_CODES) or code in _KINDS:
            raise ValueError(f"bad or duplicate callback code {code!r}")
        fields = _fields_of(cls)
        widest = len(code) + sum(len(SEPARATOR) + field.width for field in fields)
        if widest > CALLBACK_LIMIT:
            raise ValueError(f"{cls.__name__}: its data may pass {CALLBACK_LIMIT} bytes")
        cls.CODE = code
        _KINDS[code] = cls
        _FIELDS[cls] = fields
        return cls

    return register


def encode(data: Callback) -> str:
    """The callback data of a button; ValueError if over Telegram's 64 bytes or if a value
    is one its field would refuse (the button could never be pressed)."""
    kind = type(data)
    values = []
    for field in _FIELDS[kind]:
        value = getattr(data, field.name)
        values.append(value.value if isinstance(value, StrEnum) else str(value))
    text = SEPARATOR.join([data.CODE, *values])
    if len(text.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {text!r}")
    if decode(text, kind) != data:
        raise ValueError(f"{kind.__name__} cannot carry {data!r}")
    return text


C = TypeVar("C", bound=Callback)


def decode(data: str | None, kind: type[C]) -> C | None:
    """`data` as a `kind` button, or None when it is not one the bot made."""
    if not data or len(data.encode()) > CALLBACK_LIMIT:
        return None
    code, *parts = data.split(SEPARATOR)
    if _KINDS.get(code) is not kind:
        return None
    fields = _FIELDS[kind]
    if len(parts) != len(fields):
        return None
    values = [field.parse(part) for field, part in zip(fields, parts, strict=True)]
    if any(value is None for value in values):
        return None
    return kind(*values)


def code_of(data: str | None) -> str | None:
    """The registered code `data` starts with, or None: which kind of button it claims to be
    (for the stale-button sweep, which then decodes it as that kind)."""
    code = data.split(SEPARATOR, 1)[0] if data else None
    return code if code in _KINDS else None


def kind_of(data: str | None) -> type[Callback] | None:
    """The registered kind whose code `data` starts with, or None."""
    code = code_of(data)
    return _KINDS[code] if code is not None else None


def pattern(kind: type[Callback]) -> str:
    """The `CallbackQueryHandler` pattern of a button kind's data."""
    return rf"^{re.escape(kind.CODE)}{re.escape(SEPARATOR)}"


def kinds() -> dict[str, type[Callback]]:
    """Every registered kind by its code."""
    return dict(_KINDS)


def subject(data: Callback) -> int:
    """The id a button is about: its first field, by convention the case's or an item's id."""
    value = getattr(data, dataclasses.fields(data)[0].name)  # type: ignore[arg-type]
    if not isinstance(value, int):
        raise TypeError(f"{type(data).__name__} is about no id")
    return value


@button("mt")
@dataclass(frozen=True)
class TakeCase(Callback):
    """A mediator of the pool takes an escalated case (the staff chat's Take button)."""

    case_id: int


# A party's rating of the process after the case closed (flows/stats_ratings.py).
RATING_MAX = 5


@button("rt")
@dataclass(frozen=True)
class RateProcess(Callback):
    """A 1-5 rating of how the case went, asked once of each party after it closed."""

    case_id: int
    score: Annotated[int, UpTo(RATING_MAX)]


@button("rk")
@dataclass(frozen=True)
class RatingSkipComment(Callback):
    """No comment with the rating: the question is dropped."""

    case_id: int


# A mediator's proposal (flows/mediator_proposal.py): each party answers it; both must accept.
@button("pma")
@dataclasses.dataclass(frozen=True)
class MediatorProposalAccept(Callback):
    """Accept the mediator's proposal: asks the party to confirm, privately."""

    proposal_id: int


@button("pmy")
@dataclasses.dataclass(frozen=True)
class MediatorProposalConfirm(Callback):
    """The "Yes, accept" press: the party's acceptance (the second one settles the case)."""

    proposal_id: int


@button("pmn")
@dataclasses.dataclass(frozen=True)
class MediatorProposalKeep(Callback):
    """The confirmation's "Not now": nothing changes."""

    proposal_id: int


@button("pmr")
@dataclasses.dataclass(frozen=True)
class MediatorProposalReject(Callback):
    """Reject the mediator's proposal (the reason is asked as for a party's proposal)."""

    proposal_id: int


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


@button("mpp")
@dataclasses.dataclass(frozen=True)
class ProposeSettlement(Callback):
    """The mediator's panel: propose a settlement, with the parties' own builder."""

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


@button("mdd")
@dataclasses.dataclass(frozen=True)
class DecideCase(Callback):
    """The mediator's panel: decide the case (in arbitration), with the decision builder."""

    case_id: int
