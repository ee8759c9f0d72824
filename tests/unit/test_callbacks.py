"""The typed callback codec: every kind of button the bot makes round-trips, fits Telegram's 64
bytes, refuses data it did not make, has its one handler, and nothing builds or splits
callback data by hand outside flows/callbacks.py."""

from __future__ import annotations

import ast
import dataclasses
import re
import typing
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram.ext import Application, CallbackQueryHandler

import bot.app  # every flow: every kind of button is registered
from flows import buttons, timezone
from flows.callbacks import (
    CALLBACK_LIMIT,
    Callback,
    Matching,
    TakeCase,
    UpTo,
    button,
    code_of,
    decode,
    encode,
    kind_of,
    kinds,
    pattern,
)
from flows.claim_steps import COMMON_CURRENCIES, Step
from flows.common import ROW_ID_MAX
from storage.repos.tokens import new_token

ROOT = Path(__file__).resolve().parents[2]
# The kinds of the shipped code (tests register kinds of their own to try the codec).
KINDS = {code: kind for code, kind in kinds().items() if kind.__module__.startswith("flows.")}
# Every kind of button the bot makes today, by its code; kinds added later join by registering.
KNOWN = {
    *("bb", "bm", "ca", "cl", "ea", "f", "ge", "inv", "lang", "md", "mt", "ob", "pb", "pe"),
    *("pp", "rk", "rs", "rt", "sa", "sj", "tz", "wd"),
}


def _field_specs(kind: type[Callback]) -> list[tuple[str, Any, tuple[object, ...]]]:
    """(name, declared type, Annotated extras) of each field, as the kind declares them."""
    hints = typing.get_type_hints(kind, include_extras=True)
    specs = []
    for field in dataclasses.fields(kind):  # type: ignore[arg-type]
        hint, extras = hints[field.name], ()
        if typing.get_origin(hint) is Annotated:
            hint, *rest = typing.get_args(hint)
            extras = tuple(rest)
        specs.append((field.name, hint, extras))
    return specs


def _int_limit(extras: tuple[object, ...]) -> int:
    return next((e.limit for e in extras if isinstance(e, UpTo)), ROW_ID_MAX)


def _shape(extras: tuple[object, ...]) -> Matching:
    return next(e for e in extras if isinstance(e, Matching))


def _values(hint: Any, extras: tuple[object, ...]) -> st.SearchStrategy[Any]:
    if hint is int:
        return st.integers(min_value=1, max_value=_int_limit(extras))
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return st.sampled_from(list(hint))
    shape = _shape(extras)
    return st.from_regex(shape.regex, fullmatch=True).filter(lambda s: len(s) <= shape.max_length)


@st.composite
def _any_button(draw: st.DrawFn) -> Callback:
    kind = draw(st.sampled_from(sorted(KINDS.values(), key=lambda k: k.CODE)))
    values = {name: draw(_values(hint, extras)) for name, hint, extras in _field_specs(kind)}
    return kind(**values)


def test_every_button_kind_of_the_bot_is_registered() -> None:
    assert set(KINDS) >= KNOWN
    assert all(dataclasses.is_dataclass(kind) for kind in KINDS.values())


@settings(max_examples=600, deadline=None)
@given(_any_button())
def test_every_kind_round_trips_within_64_bytes(data: Callback) -> None:
    text = encode(data)
    assert len(text.encode()) <= CALLBACK_LIMIT
    assert decode(text, type(data)) == data
    assert kind_of(text) is type(data) and code_of(text) == data.CODE
    assert re.match(pattern(type(data)), text)
    # No other kind takes it: each handler sees only its own buttons.
    others = [kind for kind in KINDS.values() if kind is not type(data)]
    assert all(decode(text, kind) is None for kind in others)
    assert all(not re.match(pattern(kind), text) for kind in others)


@pytest.mark.parametrize("code", sorted(KNOWN))
def test_every_kind_fits_at_its_largest_values(code: str) -> None:
    """Ids at their largest, the longest enum values, strings at their longest allowed."""
    kind = KINDS[code]
    size = len(code)
    values: dict[str, Any] = {}
    for name, hint, extras in _field_specs(kind):
        if hint is int:
            values[name] = _int_limit(extras)
            size += 1 + len(str(values[name]))
        elif isinstance(hint, type) and issubclass(hint, StrEnum):
            values[name] = max(hint, key=lambda member: len(member.value))
            size += 1 + len(values[name].value)
        else:
            shape = _shape(extras)
            size += 1 + shape.max_length * (1 if shape.regex.isascii() else 4)
    assert size <= CALLBACK_LIMIT, code
    if len(values) == len(dataclasses.fields(kind)):  # type: ignore[arg-type]
        assert len(encode(kind(**values)).encode()) <= CALLBACK_LIMIT


def test_the_wire_format_is_the_one_sent_before_the_codec() -> None:
    """Buttons on messages already sent keep working: same code, fields, values and order."""
    b = buttons
    assert encode(b.FulfilButton(7, b.FulfilAction.DONE_NO_PROOF)) == "ob:7:n"
    assert encode(b.ClaimForm(12, Step.CURRENCY, "USD")) == "f:12:currency:USD"
    assert encode(b.ClaimForm(12, Step.CONFIRM, "chg_evidence")) == "f:12:confirm:chg_evidence"
    assert encode(b.LanguageChoice("zh_Hans")) == "lang:zh_Hans"
    assert encode(b.ZoneChoice("Asia/Shanghai")) == "tz:Asia/Shanghai"
    assert encode(b.SupplierJoin("Ab-_9", b.JoinAnswer.YES)) == "sj:Ab-_9:yes"
    assert encode(b.ReplaceSupplier(3, 2**52, b.Confirm.ASK)) == f"rs:3:{2**52}:a"
    assert encode(b.Midpoint(3, 2, b.YesNo.NO)) == "bm:3:2:n"
    assert encode(b.BidJoin(3, b.BidChoice.AGAIN)) == "bb:3:again"
    assert encode(b.ProposalButton(9, b.ProposalAction.SKIP_REASON)) == "pp:9:s"
    assert encode(b.SupplierAnswer(4, b.SupplierAction.CONTEST)) == "sa:4:x"
    assert encode(b.EvidenceAnswer(4, 2, b.EvidenceVerdict.DISPUTE)) == "ea:4:2:x"
    assert encode(b.BuildButton(4, b.BuildAction.PARTIAL_RETURN_ITEMS)) == "pb:4:preturn_items"
    assert encode(b.GroupEvidenceTag(4, b.EvidenceTag.CHAT_SCREENSHOT)) == "ge:4:chat_screenshot"
    assert encode(b.PrivateEvidenceTag(4, "private")) == "pe:4:private"
    assert encode(b.Withdraw(4, b.Confirm.YES)) == "wd:4:y"
    for kind in (b.InviteSupplier, b.AskMediator, b.AskChatLink, b.MyActions, TakeCase):
        assert encode(kind(5)) == f"{kind.CODE}:5"
    assert pattern(b.ClaimForm) == "^f:" and pattern(b.LanguageChoice) == "^lang:"


def _sample(kind: type[Callback]) -> list[str]:
    """A valid wire text of `kind`, as its parts."""
    parts = [kind.CODE]
    for _, hint, extras in _field_specs(kind):
        if hint is int:
            parts.append("1")
        elif isinstance(hint, type) and issubclass(hint, StrEnum):
            parts.append(next(iter(hint)).value)
        else:
            parts.append(_SAMPLES[_shape(extras).regex])
    return parts


_SAMPLES = {
    buttons.FORM_VALUE.regex: "back",
    buttons.LANGUAGE.regex: "en",
    buttons.ZONE.regex: "Asia/Shanghai",
    buttons.TOKEN.regex: "Ab-_9",
    buttons.PRIVATE_TAG.regex: "defect",
}
ODD_NUMBERS = ("²", "①", "١٢", "1²", "9" * 23, "-1", "0", "+1", " 1", "1 ", "1_0", "#1", "0x1")


def _forgeries(kind: type[Callback]) -> list[str]:
    good = _sample(kind)
    forged = [
        "",
        kind.CODE,
        kind.CODE + ":",
        ":".join(good) + ":",  # an empty part more
        ":".join([*good, "1"]),  # a part more
        ":".join(good[:-1]),  # a part less
        ":".join(["zz", *good[1:]]),  # another code
        ":".join([kind.CODE.upper(), *good[1:]]),
        " " + ":".join(good),
        ":".join(good) + "\n",
        ":".join(good)[:CALLBACK_LIMIT] + "x" * CALLBACK_LIMIT,  # too long for Telegram
    ]
    for index, (_, hint, extras) in enumerate(_field_specs(kind), start=1):
        if hint is int:
            odd = [*ODD_NUMBERS, str(_int_limit(extras) + 1)]
        elif isinstance(hint, type) and issubclass(hint, StrEnum):
            odd = ["zz", "", good[index].upper() + "Z", good[index] + " ", "Ⅹ"]
        else:
            shape = _shape(extras)
            odd = ["", "ü", "a b", "a\n", "x" * (shape.max_length + 1)]
        for value in odd:
            forged.append(":".join([*good[:index], value, *good[index + 1 :]]))
    return forged


@pytest.mark.parametrize("code", sorted(KNOWN))
def test_decode_refuses_what_the_bot_did_not_make(code: str) -> None:
    kind = KINDS[code]
    assert decode(":".join(_sample(kind)), kind) is not None  # the sample itself is good
    for data in _forgeries(kind):
        assert decode(data, kind) is None, data
    assert decode(None, kind) is None


def test_refusals_of_the_constrained_fields() -> None:
    b = buttons
    assert decode("f:1:currency:usd", b.ClaimForm) is not None  # checked by the form itself
    assert decode("f:1:nostep:back", b.ClaimForm) is None  # not a step of the form
    assert decode("f:1:category:Back", b.ClaimForm) is None
    assert decode("lang:de", b.LanguageChoice) is None
    assert decode("lang:zh_Hans", b.LanguageChoice) == b.LanguageChoice("zh_Hans")
    assert decode("tz:../../etc/passwd", b.ZoneChoice) is None
    assert decode("sj:abc/def:yes", b.SupplierJoin) is None
    assert decode("sj:abc:maybe", b.SupplierJoin) is None
    assert decode("pe:1:secret", b.PrivateEvidenceTag) is None
    assert decode("ge:1:private", b.GroupEvidenceTag) is None  # not in a group
    assert decode(f"rs:1:{2**52 + 1}:a", b.ReplaceSupplier) is None
    assert decode(f"ob:{ROW_ID_MAX + 1}:d", b.FulfilButton) is None
    with pytest.raises(ValueError):
        encode(b.ZoneChoice("Asia:Shanghai"))  # could never be read back
    with pytest.raises(ValueError):
        encode(b.ClaimForm(0, Step.CURRENCY, "USD"))  # an id no row has


def test_the_values_the_bot_offers_all_encode() -> None:
    """Every zone name zoneinfo knows, every token the store makes, every currency button."""
    for zone in (*timezone.COMMON_ZONES, *available_timezones()):
        assert decode(encode(buttons.ZoneChoice(zone)), buttons.ZoneChoice) is not None, zone
    for _ in range(50):
        token = new_token()
        data = buttons.SupplierJoin(token, buttons.JoinAnswer.NO)
        assert decode(encode(data), buttons.SupplierJoin) == data
    for currency in COMMON_CURRENCIES:
        assert encode(buttons.ClaimForm(ROW_ID_MAX, Step.CURRENCY, currency))


def test_registration_refuses_bad_codes_fields_and_sizes() -> None:
    @dataclasses.dataclass(frozen=True)
    class Floaty(Callback):
        value: float

    @dataclasses.dataclass(frozen=True)
    class Wide(Callback):
        text: Annotated[str, Matching("[a-z]+", 61)]

    @dataclasses.dataclass(frozen=True)
    class Fine(Callback):
        case_id: int

    with pytest.raises(TypeError):
        button("zzf")(Floaty)
    with pytest.raises(ValueError, match="64 bytes"):
        button("zzw")(Wide)
    for bad in ("x", "abcd", "Ab", "a1", "ob", "f", "lang"):  # too short/long, taken
        with pytest.raises(ValueError):
            button(bad)(Fine)


def test_every_kind_has_exactly_one_handler() -> None:
    """A kind nobody handles would answer "not available" to the bot's own button."""
    application = Application.builder().token("1:test").build()
    bot.app.register_flows(application)
    patterns = [
        handler.pattern.pattern
        for handlers in application.handlers.values()
        for handler in handlers
        if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None
    ]
    for code, kind in KINDS.items():
        assert patterns.count(pattern(kind)) == 1, code


# --- nothing outside the codec makes or reads callback data by hand ----------------------

CODEC = ROOT / "flows" / "callbacks.py"
# `.split(":")` on things that are not callback data: (file, the split expression's receiver).
NOT_CALLBACK_DATA = {  # the bot token "<id>:<secret>"
    ("bot/telegram_bot.py", "token"),
    ("bot/errors.py", "value"),
}
# The sandbox plays Telegram's side (it stores and hands back whatever data a button has).
SANDBOX = ROOT / "bot" / "sandbox"


def _sources() -> list[Path]:
    every = [p for d in ("flows", "bot") for p in (ROOT / d).rglob("*.py")]
    return sorted(p for p in every if p != CODEC and SANDBOX not in p.parents)


def _problems(path: Path, where: str) -> list[str]:
    """What in the module at `path` (named `where`, relative to the project) makes or reads
    callback data by hand, one line each."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    codes = tuple(f"{code}:" for code in KINDS)
    for node in ast.walk(tree):
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, target = node.func.attr, node.func.value
            colon = [a for a in node.args if isinstance(a, ast.Constant) and a.value == ":"]
            splits = method in ("split", "rsplit", "partition", "rpartition") and colon
            if splits and (where, ast.unparse(target)) not in NOT_CALLBACK_DATA:
                found.append(f"{line}: splits on ':' ({ast.unparse(node)})")
            if method == "join" and isinstance(target, ast.Constant) and target.value == ":":
                found.append(f"{line}: joins with ':' ({ast.unparse(node)})")
        names = [node.id] if isinstance(node, ast.Name) else []
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flows"):
            names = [alias.name for alias in node.names]
        found += [f"{line}: {n}" for n in names if n in ("pack", "unpack", "SEPARATOR")]
        # keyboard() in flows/common.py puts data made by `encode` on the buttons
        keyword = isinstance(node, ast.keyword) and node.arg == "callback_data"
        if keyword and where != "flows/common.py":
            found.append(f"{line}: callback_data= outside flows/common.py keyboard()")
        queried = ("query", "update.callback_query", "callback_query")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "data"
            and ast.unparse(node.value) in queried
        ):
            found.append(f"{line}: reads {ast.unparse(node)}")
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            text = first.value if isinstance(first, ast.Constant) else None
        if isinstance(text, str) and text.startswith(codes):
            found.append(f"{line}: callback data written out ({text!r})")
    return found


def _allowed_reads(path: Path) -> set[int]:
    """Lines where `query.data` goes straight into the codec (decode, kind_of, code_of)."""
    tree = ast.parse(path.read_text())
    lines = set()
    for node in ast.walk(tree):
        codec = ("decode", "kind_of", "code_of")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            first = node.args[0]
            if node.func.id in codec and isinstance(first, ast.Attribute) and first.attr == "data":
                lines.add(first.lineno)
    return lines


def test_no_callback_data_is_made_or_split_outside_the_codec() -> None:
    problems = []
    for path in _sources():
        allowed = _allowed_reads(path)
        where = path.relative_to(ROOT).as_posix()
        for problem in _problems(path, where):
            line = int(problem.split(": ", 1)[0].rsplit(":", 1)[1])
            if "reads " in problem and line in allowed:
                continue
            if "reads " in problem and where == "flows/unknown_buttons.py":
                continue  # logs what no flow took, cut to Telegram's 64 bytes
            problems.append(problem)
    assert not problems, "\n".join(problems)


def test_the_source_check_sees_what_it_looks_for(tmp_path: Path) -> None:
    """The check above can fail: each kind of hand-made data is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(query, case):\n"
        "    parts = query.data.split(':')\n"
        "    data = ':'.join(['ob', str(case.id), 'd'])\n"
        "    other = f'ob:{case.id}:d'\n"
        "    return InlineKeyboardButton('x', callback_data=data), unpack(query.data)\n"
    )
    problems = _problems(bad, "flows/bad.py")
    assert any("splits on ':'" in p for p in problems)
    assert any("joins with ':'" in p for p in problems)
    assert any("written out" in p for p in problems)
    assert any("callback_data=" in p for p in problems)
    assert any(p.endswith(": unpack") for p in problems)
    assert any("reads query.data" in p for p in problems)
