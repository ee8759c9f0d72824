"""Text formatting as the Bot API does it: parse_mode parsing and entity detection.

``parse_formatted`` turns text sent by the bot with ``parse_mode`` (HTML, MarkdownV2,
Markdown) into plain text plus ``MessageEntity`` dicts, failing like Telegram on malformed
markup ("can't parse entities: ..."). ``detect_entities`` finds what Telegram clients mark up
in text typed by users (bot commands, mentions, URLs). All offsets and lengths are in UTF-16
code units, as in the Bot API.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

__all__ = [
    "FormattingError",
    "detect_entities",
    "entity_text",
    "parse_formatted",
    "strip_formatted",
    "utf16_len",
]


class FormattingError(ValueError):
    """Markup that Telegram would refuse with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _entity(kind: str, offset: int, length: int, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "offset": offset, "length": length, **extra}


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}


class _HtmlToEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pos = 0
        self.stack: list[tuple[str, int, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            raise FormattingError('Unsupported start tag "br"')
        kind = _HTML_TAGS.get(tag)
        if kind is None:
            raise FormattingError(f'Unsupported start tag "{tag}"')
        attributes = dict(attrs)
        extra: dict[str, Any] = {}
        if tag == "a":
            href = attributes.get("href")
            if not href:
                raise FormattingError('Tag "a" must have attribute "href"')
            extra["url"] = href
        elif tag == "span" and attributes.get("class") != "tg-spoiler":
            raise FormattingError('Tag "span" must have class "tg-spoiler"')
        elif tag == "tg-emoji":
            extra["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            kind = "expandable_blockquote"
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attributes.get("class") or ""
            if language.startswith("language-"):
                self.stack[-1][2]["language"] = language.removeprefix("language-")
        self.stack.append((tag, self.pos, {"type": kind, **extra}))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise FormattingError(f'Unmatched end tag "{tag}"')
        _, start, spec = self.stack.pop()
        if spec["type"] == "code" and self.stack and self.stack[-1][0] == "pre":
            return  # <pre><code class="language-x"> is one pre entity with a language
        if self.pos > start:
            self.entities.append(_entity(spec.pop("type"), start, self.pos - start, **spec))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.pos += utf16_len(data)


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    parser = _HtmlToEntities()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise FormattingError(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"'
        )
    return "".join(parser.parts), sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_TOGGLES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}


class _Markdown:
    """MarkdownV2 (``v2=True``) and legacy Markdown parser."""

    def __init__(self, text: str, *, v2: bool) -> None:
        self.text = text
        self.v2 = v2
        self.i = 0
        self.out: list[str] = []
        self.pos = 0
        self.stack: list[tuple[str, int, int]] = []  # (token, utf16 start, char index)
        self.entities: list[dict[str, Any]] = []

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.pos += utf16_len(chunk)

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def read_until(self, closing: str, *, allowed_escapes: str) -> str:
        """Raw content up to an unescaped ``closing``; the closing token is consumed."""
        start = self.i
        chunk: list[str] = []
        while self.i < len(self.text):
            if self.text.startswith(closing, self.i):
                self.i += len(closing)
                return "".join(chunk)
            char = self.text[self.i]
            if (
                char == "\\"
                and self.i + 1 < len(self.text)
                and (self.text[self.i + 1] in allowed_escapes)
            ):
                chunk.append(self.text[self.i + 1])
                self.i += 2
                continue
            chunk.append(char)
            self.i += 1
        raise FormattingError(
            f"Can't find end of the entity starting at byte offset {self.byte_offset(start - 1)}"
        )

    def toggle(self, token: str) -> None:
        kind = _MD2_TOGGLES[token]
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == token:
                if index != len(self.stack) - 1 and self.v2:
                    raise FormattingError(
                        f"Can't find end of {self.stack[-1][0]} entity at byte offset "
                        f"{self.byte_offset(self.stack[-1][2])}"
                    )
                _, start, _ = self.stack.pop(index)
                if self.pos > start:
                    self.entities.append(_entity(kind, start, self.pos - start))
                return
        self.stack.append((token, self.pos, self.i - len(token)))

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if (
                char == "\\"
                and self.i + 1 < len(text)
                and (0 < ord(text[self.i + 1]) < 127 if self.v2 else text[self.i + 1] in "_*`[")
            ):
                self.emit(text[self.i + 1])
                self.i += 2
                continue
            if text.startswith("```", self.i):
                self.i += 3
                start = self.pos
                body = self.read_until("```", allowed_escapes="`\\")
                language, newline, rest = body.partition("\n")
                if newline and language and " " not in language:
                    body = rest
                else:
                    language = ""
                self.emit(body)
                extra = {"language": language} if language else {}
                self.entities.append(_entity("pre", start, self.pos - start, **extra))
                continue
            if char == "`":
                self.i += 1
                start = self.pos
                self.emit(self.read_until("`", allowed_escapes="`\\"))
                self.entities.append(_entity("code", start, self.pos - start))
                continue
            if char == "[":
                self.i += 1
                self.stack.append(("[", self.pos, self.i - 1))
                continue
            if char == "]" and any(token == "[" for token, _, _ in self.stack):
                token, start, _ = self.stack.pop()
                if token != "[":
                    raise FormattingError(f"Can't find end of {token} entity")
                self.i += 1
                if not text.startswith("(", self.i):
                    if self.v2:
                        raise FormattingError("Character ']' is reserved and must be escaped")
                    continue
                self.i += 1
                url = self.read_until(")", allowed_escapes=")\\")
                self.entities.append(_entity("text_link", start, self.pos - start, url=url))
                continue
            token = self.toggle_token()
            if token:
                self.i += len(token)
                self.toggle(token)
                continue
            if self.v2 and char in _MD2_RESERVED:
                raise FormattingError(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            self.emit(char)
            self.i += 1
        if self.stack:
            token, _, index = self.stack[-1]
            raise FormattingError(
                f"Can't find end of the entity starting at byte offset {self.byte_offset(index)}"
            )
        return "".join(self.out), sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))

    def toggle_token(self) -> str:
        text, i = self.text, self.i
        if self.v2:
            for token in ("__", "||", "*", "_", "~"):
                if text.startswith(token, i):
                    return token
            return ""
        return text[i] if text[i] in "*_" else ""


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities for ``text`` as sent with ``parse_mode`` or ``entities``."""
    if entities:
        return text, [dict(entity) for entity in entities]
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return _parse_html(text)
    if mode in ("markdownv2", "markdown"):
        return _Markdown(text, v2=mode == "markdownv2").parse()
    raise FormattingError(f"unsupported parse_mode {parse_mode!r}")


def strip_formatted(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram, shifting entity offsets accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    shifted: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, limit)
        if end > start:
            shifted.append({**entity, "offset": start, "length": end - start})
    return stripped, shifted


_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")
_URL = re.compile(r"(?<!\w)https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client would attach to ``text`` typed by a user."""
    found: list[tuple[int, int, str]] = []
    for kind, pattern in (("bot_command", _COMMAND), ("url", _URL), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end, _ in found):
                continue
            found.append((match.start(), match.end(), kind))
    found.sort()
    return [
        _entity(kind, utf16_len(text[:start]), utf16_len(text[start:end]))
        for start, end, kind in found
    ]


def entity_text(text: str, entity: dict[str, Any]) -> str:
    """The part of ``text`` an entity covers (offsets are UTF-16)."""
    encoded = text.encode("utf-16-le")
    start = entity["offset"] * 2
    return encoded[start : start + entity["length"] * 2].decode("utf-16-le")
