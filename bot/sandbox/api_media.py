"""Bot API file methods: sendPhoto/Document/Video/Voice/Audio/Sticker, sendMediaGroup, getFile.

Uploads arrive as multipart parts (directly under the field name or through
``attach://name``); a string is a file_id of a known file. The sandbox cannot fetch URLs.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from bot.sandbox.api_messages import formatted, post_in_chat
from bot.sandbox.dispatch import api
from bot.sandbox.errors import bad_request

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.schema import ValidatedRequest

__all__: list[str] = []

_SEND_METHODS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVideo": "video",
    "sendVoice": "voice",
    "sendAudio": "audio",
    "sendSticker": "sticker",
    "sendAnimation": "animation",
}


def _caption(item: dict[str, Any]) -> dict[str, Any]:
    if not item.get("caption"):
        return {}
    return formatted(
        item["caption"], item.get("parse_mode"), item.get("caption_entities"), "caption"
    )


@api(*_SEND_METHODS)
async def send_file(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    kind = _SEND_METHODS[req.method]
    chat = sb.resolve_chat(req.params["chat_id"])
    sb.ensure_bot_can_send(chat)
    stored = sb.files.resolve(req.params[kind], kind, req.files)
    if req.params.get("duration"):
        stored.duration = int(req.params["duration"])
    content = {**sb.files.media(stored), **_caption(req.params)}
    return post_in_chat(sb, chat, req.params, kind, content).message


@api("sendMediaGroup")
async def send_media_group(sb: Sandbox, req: ValidatedRequest) -> list[dict[str, Any]]:
    media: list[dict[str, Any]] = req.params["media"]
    kinds = {item["type"] for item in media}
    for alone in ("document", "audio"):
        if alone in kinds and len(kinds) > 1:
            raise bad_request(f"{alone} can't be mixed with other media types", violation=True)
    if not kinds <= {"photo", "video", "document", "audio"}:
        raise bad_request(f"sandbox does not implement media types {sorted(kinds)}", violation=True)
    chat = sb.resolve_chat(req.params["chat_id"])
    sb.ensure_bot_can_send(chat)
    files = [sb.files.resolve(item["media"], item["type"], req.files) for item in media]
    group_id = str(secrets.randbelow(10**17) + 10**17)
    sent = []
    for item, stored in zip(media, files, strict=True):
        content = {**sb.files.media(stored), **_caption(item), "media_group_id": group_id}
        sent.append(post_in_chat(sb, chat, req.params, item["type"], content).message)
    return sent


@api("getFile")
async def get_file(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    return sb.files.get_file(req.params["file_id"])
