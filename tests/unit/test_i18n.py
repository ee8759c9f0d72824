"""The catalogs are complete and consistent, and code passes no user-facing literal."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales import i18n
from locales.i18n import LANGUAGES, Catalogs, language_from_telegram

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
KEYWORDS = {"t": None, "tn": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _ids(catalog) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _code_keys() -> set[str]:
    keys: set[str] = set()
    for package in ("bot", "flows"):
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT / package), keywords=KEYWORDS, method_map=[("**.py", "python")]
        ):
            keys.add(message if isinstance(message, str) else message[0])
    return keys


def _strings(message) -> list[str]:  # type: ignore[no-untyped-def]
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_not_fuzzy(language: str) -> None:
    catalog = _catalog(language)
    missing = [m.id for m in catalog if m.id and not all(_strings(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not missing, f"{language}: untranslated {missing}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy}"


def test_catalogs_cover_exactly_the_keys_the_code_uses() -> None:
    code = _code_keys()
    template = _ids(_catalog_template())
    assert code == template, "locales/messages.pot is stale: run the extract command (README)"
    for language in LANGUAGES:
        ids = _ids(_catalog(language))
        assert code - ids == set(), f"{language} lacks {sorted(code - ids)}"
        assert ids - code == set(), f"{language} has unused {sorted(ids - code)}"


def _catalog_template():  # type: ignore[no-untyped-def]
    with (LOCALES / "messages.pot").open("rb") as handle:
        return read_po(handle)


# Buttons a person sees one after the other: the same label for both would leave them unsure
# which step they are at (the panel's Decide opens the builder; Issue makes it binding).
DISTINCT_LABELS = [("button.decide", "button.decision_issue")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("first", "second"), DISTINCT_LABELS)
def test_successive_buttons_have_distinct_labels(language: str, first: str, second: str) -> None:
    tr = Catalogs().translator(language)
    assert tr.t(first) != tr.t(second)


def test_no_doubled_article_before_a_role() -> None:
    """{party}, {by} and {role} get a role's name with its article ("the buyer"): a message
    that puts another "the" before it reads "the the buyer"."""
    tr = Catalogs().translator("en")
    doubled = []
    for message in _catalog("en"):
        if not message.id or isinstance(message.id, tuple):
            continue
        names = set(PLACEHOLDER.findall(message.string))
        if not names & {"party", "by", "role"}:
            continue
        values = {name: "X" for name in names} | {
            name: tr.t("role.buyer") for name in names & {"party", "by", "role"}
        }
        if re.search(r"\b[Tt]he the\b", message.string.format(**values)):
            doubled.append(message.id)
    assert doubled == []


# Fragments that follow a label ("How it came to mediation: ..."), not sentences.
ROLE_FRAGMENTS = {"pool.why.requested"}


def test_no_sentence_starts_with_a_role() -> None:
    """A role's name is lower case ("the supplier"): an English sentence must not begin with
    {by}, {party} or {role}."""
    starts = re.compile(r"(^|[.!?]\s|\n)\{(by|party|role)\} ")
    found = [
        m.id
        for m in _catalog("en")
        if m.id and isinstance(m.id, str) and m.id not in ROLE_FRAGMENTS
        if starts.search(m.string)
    ]
    assert found == []


def test_chinese_placeholders_match_english() -> None:
    english = {m.id if isinstance(m.id, str) else m.id[0]: m for m in _catalog("en") if m.id}
    for message in _catalog("zh_Hans"):
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        expected = set().union(*(set(PLACEHOLDER.findall(s)) for s in _strings(english[key])))
        for text in _strings(message):
            assert set(PLACEHOLDER.findall(text)) == expected, f"{key}: {text!r}"


def test_chinese_messages_are_chinese() -> None:
    """A copied English text is not a translation (names of languages excepted)."""
    han = re.compile(r"[\u4e00-\u9fff]")
    exceptions = {"language.name.en", "evidence.line", "evidence.line_sized", "cases.line"}
    for message in _catalog("zh_Hans"):
        if message.id and message.id not in exceptions:
            assert all(han.search(s) for s in _strings(message)), message.id


# Calls whose text argument reaches a user: a literal there bypasses the catalogs.
USER_FACING = {
    "send": 2,
    "send_message": 1,
    "reply_text": 0,
    "edit_message_text": 0,
    "answer": 0,
    "InlineKeyboardButton": 0,
    "BotCommand": 1,
    "set_my_description": 0,
}


def _literal_text(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z\u4e00-\u9fff]", node.value))
    return isinstance(node, ast.JoinedStr)


def _user_facing_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if (
            name in ("t", "tn")
            and node.args
            and not isinstance(node.args[0], ast.Constant | ast.Name | ast.Subscript | ast.Call)
        ):
            found.append(f"{path}:{node.lineno}: computed catalog key")
        if name not in USER_FACING:
            continue
        position = USER_FACING[name]
        candidates = list(node.args[position : position + 1])
        candidates += [k.value for k in node.keywords if k.arg in ("text", "description")]
        found += [
            f"{path}:{node.lineno}: literal text in {name}()"
            for c in candidates
            if _literal_text(c)
        ]
    return found


def test_no_user_facing_literal_in_code() -> None:
    files = [p for pkg in ("bot", "flows") for p in (ROOT / pkg).rglob("*.py")]
    files = [p for p in files if "sandbox" not in p.parts]
    problems = [problem for path in files for problem in _user_facing_literals(path)]
    assert not problems, "\n".join(problems)


def test_the_literal_check_catches_a_literal(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('async def f(bot):\n    await send(bot, 1, "Hello there")\n')
    assert _user_facing_literals(bad)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh", "zh_Hans"),
        ("zh-hans", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh_sg", "zh_Hans"),
        ("zh-tw", "en"),
        ("en", "en"),
        ("en-GB", "en"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_language_from_telegram(code: str | None, expected: str) -> None:
    assert language_from_telegram(code) == expected


def test_formatting_follows_the_readers_locale_and_time_zone() -> None:
    catalogs = Catalogs(LOCALES)
    en = catalogs.translator("en", "Europe/Berlin")
    zh = catalogs.translator("zh_Hans", "Asia/Shanghai")
    moment = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert en.money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert zh.money(Decimal("1234.5"), "CNY") == "¥1,234.50"
    assert en.datetime(moment) == "Nov 27, 2026, 12:30\u202fAM (GMT+01:00)"
    assert zh.datetime(moment) == "2026年11月27日 07:30 (GMT+08:00)"
    assert zh.tn("claim.evidence.count", "claim.evidence.count.plural", 3) == "目前共 3 项。"
    assert en.tn("claim.evidence.count", "claim.evidence.count.plural", 1) == "1 item so far."
    assert en.tn("claim.evidence.count", "claim.evidence.count.plural", 2) == "2 items so far."


def test_catalogs_compile_from_po_at_load(tmp_path: Path) -> None:
    """What is loaded is what the .po says now: no compiled file is read."""
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        source = (LOCALES / language / "LC_MESSAGES" / "messages.po").read_text("utf-8")
        if language == "zh_Hans":
            source = source.replace('msgstr "选择您的语言。"', 'msgstr "改过的。"')
            source = source.replace('msgstr "请选择您的语言。"', 'msgstr "改过的。"')
        (target / "messages.po").write_text(source, "utf-8")
    assert Catalogs(tmp_path).translator("zh_Hans").t("language.choose") == "改过的。"


def test_a_process_compiles_the_same_po_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests start the bot hundreds of times in a process: a second Catalogs of unchanged
    files compiles nothing, and an edited file (only it, or with English every translation
    falling back to it) is compiled again."""
    compiled: list[str] = []

    def counting(source: IO[bytes], locale: str) -> Catalog:
        compiled.append(locale)
        return read_po(source, locale=locale)

    monkeypatch.setattr(i18n, "read_po", counting)
    files = {}
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        files[language] = target / "messages.po"
        source = (LOCALES / language / "LC_MESSAGES" / "messages.po").read_text("utf-8")
        # Content no other test compiled in this process.
        files[language].write_text(source + f'\nmsgid "{tmp_path}"\nmsgstr "x"\n', "utf-8")
    Catalogs(tmp_path)
    assert sorted(compiled) == sorted(LANGUAGES)
    compiled.clear()
    again = Catalogs(tmp_path, substitutes={"language.choose": "language.name.en"})
    assert compiled == []
    assert again.translator("zh_Hans").t("language.choose") == "English"
    chinese = files["zh_Hans"].read_text("utf-8")
    files["zh_Hans"].write_text(
        chinese.replace('msgstr "请选择您的语言。"', 'msgstr "改过的。"'), "utf-8"
    )
    edited = Catalogs(tmp_path)
    assert compiled == ["zh_Hans"]
    assert edited.translator("zh_Hans").t("language.choose") == "改过的。"
    compiled.clear()
    english = files["en"].read_text("utf-8")
    files["en"].write_text(english + '\nmsgid "only.english"\nmsgstr "Only English."\n', "utf-8")
    assert Catalogs(tmp_path).translator("zh_Hans").t("only.english") == "Only English."
    assert sorted(compiled) == sorted(LANGUAGES)


def test_pybabel_is_available_for_the_documented_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 or "babel" in (result.stdout + result.stderr).lower()
