"""The compact schema, its generator, request decoding and formatting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.sandbox.formatting import FormattingError, parse_formatted, utf16_len
from bot.sandbox.schema import SCHEMA_PATH, SchemaViolation, UploadedFile, load_schema
from scripts.gen_bot_api_schema import DEFAULT_INPUT, dump, generate

schema = load_schema()


@pytest.mark.skipif(not DEFAULT_INPUT.exists(), reason="api.json is not available here")
def test_committed_schema_is_up_to_date() -> None:
    api = json.loads(DEFAULT_INPUT.read_text(encoding="utf-8"))
    assert dump(generate(api)) == SCHEMA_PATH.read_text(encoding="utf-8"), (
        "run: python scripts/gen_bot_api_schema.py"
    )


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
