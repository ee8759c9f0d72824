"""The compact schema, its generator, request decoding and formatting."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.formatting import FormattingError, parse_formatted, utf16_len
from bot.sandbox.schema import SCHEMA_PATH, SchemaViolation, UploadedFile, load_schema
from scripts.gen_bot_api_schema import SPEC_ENV, default_input, dump, main
from tests.storage.dbs import in_ci

schema = load_schema()


SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen_bot_api_schema.py"


def find_api_spec() -> Path:
    """The Bot API spec, found like the generator finds it.

    Missing, the tests that need it skip with the reason, except under CI=true, where they
    fail: CI must check the committed schema against the spec.
    """
    path = default_input()
    if path.is_file():
        return path
    reason = (
        f"the Bot API spec is not at {path} (put the shared folder beside the project, "
        f"or set ${SPEC_ENV})"
    )
    if in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture
def api_spec() -> Path:
    return find_api_spec()


def test_committed_schema_is_up_to_date(api_spec: Path, tmp_path: Path) -> None:
    generated = tmp_path / "schema.json"
    assert main(["--input", str(api_spec), "--output", str(generated)]) == 0
    assert generated.read_text(encoding="utf-8") == SCHEMA_PATH.read_text(encoding="utf-8"), (
        "run: python scripts/gen_bot_api_schema.py"
    )
    assert main(["--input", str(api_spec), "--check"]) == 0


def test_an_altered_schema_is_detected(
    api_spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    committed["methods"]["sendMessage"]["fields"]["text"]["limits"]["max"] = 4097
    del committed["types"]["BotCommand"]
    altered = tmp_path / "altered.json"
    altered.write_text(dump(committed), encoding="utf-8")
    capsys.readouterr()

    assert main(["--input", str(api_spec), "--check", "--output", str(altered)]) == 1
    report = capsys.readouterr().err
    assert "methods.sendMessage" in report
    assert "types.BotCommand" in report
    assert "types.Message" not in report
    assert report.strip().count("\n") == 0

    same_data_other_layout = tmp_path / "reformatted.json"
    same_data_other_layout.write_text(
        json.dumps(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")), indent=2),
        encoding="utf-8",
    )
    assert main(["--input", str(api_spec), "--check", "--output", str(same_data_other_layout)]) == 1
    assert "layout" in capsys.readouterr().err


def test_the_default_spec_is_the_shared_folder_beside_the_project(
    api_spec: Path, tmp_path: Path
) -> None:
    """A fresh clone with ../shared beside it, as CI lays it out (the spec is a marked copy,
    so a spec read from anywhere else would show)."""
    project, shared = tmp_path / "clone", tmp_path / "shared" / "telegram-bot-api"
    (project / "scripts").mkdir(parents=True)
    shared.mkdir(parents=True)
    shutil.copy(SCRIPT, project / "scripts" / SCRIPT.name)
    spec = json.loads(api_spec.read_text(encoding="utf-8"))
    spec["version"] = "Bot API 0.0-marked"
    (shared / "api.json").write_text(json.dumps(spec), encoding="utf-8")
    (project / "unrelated").mkdir()
    env = {k: v for k, v in os.environ.items() if k != SPEC_ENV}

    result = subprocess.run(
        [sys.executable, str(project / "scripts" / SCRIPT.name), "-o", "out.json"],
        cwd=project / "unrelated",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    generated = json.loads((project / "unrelated" / "out.json").read_text(encoding="utf-8"))
    assert generated["version"] == "Bot API 0.0-marked"
    assert default_input(project, {}) == shared / "api.json"
    assert default_input(project, {SPEC_ENV: "/elsewhere/api.json"}) == Path("/elsewhere/api.json")


def test_a_missing_spec_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "nowhere" / "api.json"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but the Bot API spec is not at"):
        find_api_spec()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match=SPEC_ENV):
        find_api_spec()


def test_the_generator_names_a_missing_spec_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "api.json"
    env = {k: v for k, v in os.environ.items() if k != SPEC_ENV}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--input", str(missing), "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert str(missing) in result.stderr
    assert SPEC_ENV in result.stderr


def test_documented_limits_are_extracted() -> None:
    methods, types = schema.methods, schema.types
    assert methods["sendMessage"]["fields"]["text"]["limits"]["max"] == 4096
    assert methods["sendPhoto"]["fields"]["caption"]["limits"]["max"] == 1024
    assert types["InlineKeyboardButton"]["fields"]["callback_data"]["limits"] == {
        "min": 1,
        "max": 64,
        "unit": "bytes",
    }
    assert types["BotCommand"]["fields"]["command"]["limits"]["max"] == 32
    assert types["BotCommand"]["fields"]["description"]["limits"]["max"] == 256
    assert methods["createChatInviteLink"]["fields"]["name"]["limits"]["max"] == 32
    assert methods["createChatInviteLink"]["fields"]["member_limit"]["limits"] == {
        "min": 1,
        "max": 99999,
        "unit": "value",
    }
    assert types["BotCommandScopeChat"]["fields"]["type"]["const"] == "chat"
    assert "description" not in json.dumps(methods["sendMessage"])


def test_form_values_are_decoded_per_type() -> None:
    request = schema.validate(
        "sendMessage",
        {
            "chat_id": "-100123",
            "text": "123",
            "disable_notification": "true",
            "reply_parameters": '{"message_id": 5}',
        },
    )
    assert request.params == {
        "chat_id": -100123,
        "text": "123",
        "disable_notification": True,
        "reply_parameters": {"message_id": 5},
    }
    assert (
        schema.validate("sendMessage", {"chat_id": "@channel", "text": "x"}).params["chat_id"]
        == "@channel"
    )


def test_uploads_direct_and_attached() -> None:
    upload = UploadedFile(b"data", "a.pdf", "application/pdf")
    direct = schema.validate("sendDocument", {"chat_id": "1"}, {"document": upload})
    assert direct.params["document"] is upload
    attached = schema.validate(
        "sendDocument", {"chat_id": "1", "document": "attach://f"}, {"f": upload}
    )
    assert attached.params["document"] is upload
    media = schema.validate(
        "sendMediaGroup",
        {
            "chat_id": 1,
            "media": json.dumps(
                [{"type": "photo", "media": "attach://p"}, {"type": "video", "media": "FILEID"}]
            ),
        },
        {"p": upload},
    )
    assert media.params["media"][0]["media"] == "attach://p"
    with pytest.raises(SchemaViolation, match='no file part "q"'):
        schema.validate("sendDocument", {"chat_id": 1, "document": "attach://q"}, {"f": upload})
    with pytest.raises(SchemaViolation, match="not referenced"):
        schema.validate("sendMessage", {"chat_id": 1, "text": "x"}, {"f": upload})


def test_nested_objects_are_checked() -> None:
    with pytest.raises(SchemaViolation, match=r"inline_keyboard\[0\]\[0\].text must be String"):
        schema.validate(
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": 1}]]}},
        )
    with pytest.raises(SchemaViolation, match=r"link_preview_options\.is_disabled must be Boolean"):
        schema.validate(
            "sendMessage",
            {"chat_id": 1, "text": "x", "link_preview_options": {"is_disabled": "yes"}},
        )
    with pytest.raises(SchemaViolation, match=r'unknown field "permissions\.can_fly"'):
        schema.validate(
            "restrictChatMember",
            {"chat_id": 1, "user_id": 2, "permissions": {"can_fly": True}},
        )
    ok = schema.validate(
        "promoteChatMember", {"chat_id": 1, "user_id": 2, "can_invite_users": True}
    )
    assert ok.params["can_invite_users"] is True


@pytest.mark.parametrize(
    ("text", "mode", "plain", "entities"),
    [
        (
            "<b>Жалоба</b> #7 &amp; 😀 <i>x</i>",
            "HTML",
            "Жалоба #7 & 😀 x",
            [("bold", 0, 6), ("italic", 15, 1)],
        ),
        (
            "*bold* _it_ 1\\.5 [link](https://x.org)",
            "MarkdownV2",
            "bold it 1.5 link",
            [("bold", 0, 4), ("italic", 5, 2), ("text_link", 12, 4)],
        ),
        ("*b* _i_", "Markdown", "b i", [("bold", 0, 1), ("italic", 2, 1)]),
    ],
)
def test_parse_modes(
    text: str, mode: str, plain: str, entities: list[tuple[str, int, int]]
) -> None:
    result, found = parse_formatted(text, mode)
    assert result == plain
    assert [(e["type"], e["offset"], e["length"]) for e in found] == entities


@pytest.mark.parametrize(
    ("text", "mode"),
    [("<b>x", "HTML"), ("<div>x</div>", "HTML"), ("a-b", "MarkdownV2"), ("*open", "MarkdownV2")],
)
def test_parse_errors(text: str, mode: str) -> None:
    with pytest.raises(FormattingError):
        parse_formatted(text, mode)


def test_utf16_len() -> None:
    assert utf16_len("a😀б") == 4


def test_schema_file_is_packaged_next_to_the_code() -> None:
    assert SCHEMA_PATH.parent == Path(__file__).resolve().parents[2] / "bot" / "sandbox"
