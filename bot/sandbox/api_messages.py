"""Bot API message methods: send, edit, delete, forward, copy, pin, chat actions.

``bot_post`` is the one path by which the bot puts a message into a chat: it checks that the
bot may write there (403s, rights, optional rate limit), resolves ``reply_parameters`` and
keeps inline keyboards on the message so simulated users can press them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.sandbox.dispatch import api
from bot.sandbox.errors import bad_request, forbidden
from bot.sandbox.formatting import parse_formatted, strip_formatted
from bot.sandbox.forums import thread_fields
from bot.sandbox.groups import post_service
from bot.sandbox.state import SERVICE_KINDS, MessageRecord

if TYPE_CHECKING:
    from bot.sandbox.chats import SandboxChat
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.schema import ValidatedRequest

__all__ = ["bot_post", "formatted", "message_content"]

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_CONTENT_FIELDS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "video",
    "voice",
    "audio",
    "sticker",
    "animation",
    "location",
    "contact",
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def formatted(text: str, parse_mode: str | None, entities: Any, field: str) -> dict[str, Any]:
    """Message fields for a formatted text or caption (schema validation already parsed it)."""
    plain, found = strip_formatted(*parse_formatted(text, parse_mode, entities))
    content: dict[str, Any] = {field: plain}
    if found:
        content["entities" if field == "text" else "caption_entities"] = found
    return content


def check_inline_keyboard(markup: dict[str, Any]) -> None:
    """Telegram's checks on inline keyboards beyond the schema."""
    for row in markup.get("inline_keyboard", []):
        for button in row:
            actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
            if len(actions) != 1:
                raise bad_request(
                    f"inline keyboard button {button.get('text')!r} must have exactly one "
                    f"action field, has {sorted(actions) or 'none'}",
                    violation=True,
                )
            url = button.get("url")
            if url is not None:
                parts = urlsplit(url)
                if parts.scheme not in ("http", "https", "tg") or (
                    parts.scheme != "tg" and not parts.netloc
                ):
                    raise bad_request(f"BUTTON_URL_INVALID ({url!r})", violation=True)


def _reply_target(sb: Sandbox, chat: SandboxChat, params: dict[str, Any]) -> MessageRecord | None:
    reply = params.get("reply_parameters")
    if not reply:
        return None
    source = sb.resolve_chat(reply["chat_id"]) if "chat_id" in reply else chat
    record = source.get_message(reply["message_id"])
    if record is None and not reply.get("allow_sending_without_reply"):
        raise bad_request("message to be replied not found")
    return record


def bot_post(
    sb: Sandbox, req: ValidatedRequest, kind: str, content: dict[str, Any]
) -> MessageRecord:
    """Put a bot message into the chat of ``req`` (checks, reply, inline keyboard)."""
    chat = sb.resolve_chat(req.params["chat_id"])
    sb.ensure_bot_can_send(chat)
    return post_in_chat(sb, chat, req.params, kind, content)


def post_in_chat(
    sb: Sandbox, chat: SandboxChat, params: dict[str, Any], kind: str, content: dict[str, Any]
) -> MessageRecord:
    """Store a bot message after the checks were made."""
    reply_to = _reply_target(sb, chat, params)
    content = {**content, **thread_fields(chat, params)}
    if params.get("protect_content"):
        content = {**content, "has_protected_content": True}
    markup = params.get("reply_markup")
    if markup is not None and "inline_keyboard" in markup:
        check_inline_keyboard(markup)
        content = {**content, "reply_markup": markup}
    elif markup is not None and chat.user is not None:
        chat.user.reply_keyboard = None if markup.get("remove_keyboard") else markup
    return chat.add_message(
        sb.bot_user, from_bot=True, kind=kind, content=content, reply_to=reply_to
    )


def message_content(record: MessageRecord) -> dict[str, Any]:
    """The content fields of a message (what forward/copy carry over)."""
    return {k: record.message[k] for k in _CONTENT_FIELDS if k in record.message}


def _bot_chat(sb: Sandbox, chat_id: int | str) -> SandboxChat:
    chat = sb.resolve_chat(chat_id)
    if chat.user is not None and chat.user.blocked:
        raise forbidden("bot was blocked by the user")
    sb.ensure_member_access(chat)
    return chat


def _editable(sb: Sandbox, p: dict[str, Any]) -> MessageRecord:
    if "inline_message_id" in p:
        raise bad_request("sandbox does not implement inline messages", violation=True)
    if "chat_id" not in p or "message_id" not in p:
        raise bad_request("chat_id and message_id are required", violation=True)
    chat = _bot_chat(sb, p["chat_id"])
    record = chat.get_message(p["message_id"])
    if record is None:
        raise bad_request("message to edit not found")
    if not record.from_bot:
        raise bad_request("message can't be edited")
    return record


@api("sendMessage")
async def send_message(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    p = req.params
    content = formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text")
    if "link_preview_options" in p:
        content["link_preview_options"] = p["link_preview_options"]
    return bot_post(sb, req, "text", content).message


def _edit(
    sb: Sandbox, record: MessageRecord, content: dict[str, Any], markup: dict[str, Any] | None
) -> dict[str, Any]:
    """Replace content fields and the inline keyboard; 400 when nothing changes."""
    message = record.message
    if markup is not None:
        check_inline_keyboard(markup)
    before = {k: message.get(k) for k in (*content, "reply_markup")}
    after = {**content, "reply_markup": markup}
    if before == after:
        raise bad_request(NOT_MODIFIED)
    for key, value in after.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = sb.now()
    record.edited = True
    sb.notify()
    return message


@api("editMessageText")
async def edit_message_text(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    p = req.params
    if "text" not in p:
        raise bad_request("text is required (the sandbox has no rich messages)", violation=True)
    record = _editable(sb, p)
    if "text" not in record.message:
        raise bad_request("there is no text in the message to edit")
    content: dict[str, Any] = {"entities": None}
    content.update(formatted(p["text"], p.get("parse_mode"), p.get("entities"), "text"))
    return _edit(sb, record, content, p.get("reply_markup"))


@api("editMessageCaption")
async def edit_message_caption(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    p = req.params
    record = _editable(sb, p)
    if "text" in record.message:
        raise bad_request("there is no caption in the message to edit")
    content: dict[str, Any] = {"caption": None, "caption_entities": None}
    if p.get("caption"):
        content.update(
            formatted(p["caption"], p.get("parse_mode"), p.get("caption_entities"), "caption")
        )
    return _edit(sb, record, content, p.get("reply_markup"))


@api("editMessageReplyMarkup")
async def edit_message_reply_markup(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    record = _editable(sb, req.params)
    return _edit(sb, record, {}, req.params.get("reply_markup"))


def _deletable(sb: Sandbox, chat: SandboxChat, record: MessageRecord) -> None:
    if record.kind in SERVICE_KINDS and not chat.is_group:
        raise bad_request("message can't be deleted")
    if record.from_bot or chat.user is not None:
        if sb.now() - int(record.message["date"]) > 48 * 3600:
            raise bad_request("message can't be deleted for everyone")
        return
    if not chat.bot_has("can_delete_messages"):
        raise bad_request(
            "message can't be deleted: not enough rights to delete messages of other users"
        )


def _delete(sb: Sandbox, chat: SandboxChat, record: MessageRecord) -> None:
    record.deleted = True
    if record.message_id in chat.pinned_ids:
        chat.pinned_ids.remove(record.message_id)
    sb.notify()


@api("deleteMessage")
async def delete_message(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _bot_chat(sb, req.params["chat_id"])
    record = chat.get_message(req.params["message_id"])
    if record is None:
        raise bad_request("message to delete not found")
    _deletable(sb, chat, record)
    _delete(sb, chat, record)
    return True


@api("deleteMessages")
async def delete_messages(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _bot_chat(sb, req.params["chat_id"])
    records = [chat.get_message(i) for i in req.params["message_ids"]]
    found = [r for r in records if r is not None]
    for record in found:
        _deletable(sb, chat, record)
    for record in found:
        _delete(sb, chat, record)
    return True


def _source(sb: Sandbox, p: dict[str, Any], verb: str) -> MessageRecord:
    source_chat = _bot_chat(sb, p["from_chat_id"])
    record = source_chat.get_message(p["message_id"])
    if record is None:
        raise bad_request(f"message to {verb} not found")
    if record.kind in SERVICE_KINDS:
        raise bad_request(f"message can't be {verb}ed")
    if record.message.get("has_protected_content"):
        raise bad_request(f"message can't be {verb}ed (content is protected)")
    return record


@api("forwardMessage")
async def forward_message(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    record = _source(sb, req.params, "forward")
    origin_user = sb.user_dict(record.sender_id)
    content = {
        **message_content(record),
        "forward_origin": {
            "type": "user",
            "sender_user": origin_user,
            "date": record.message["date"],
        },
    }
    return bot_post(sb, req, record.kind, content).message


@api("copyMessage")
async def copy_message(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    p = req.params
    record = _source(sb, p, "copy")
    content = message_content(record)
    if "caption" in p:
        if "text" in content:
            raise bad_request("a caption can't be set for a text message", violation=True)
        content.pop("caption", None)
        content.pop("caption_entities", None)
        content.update(
            formatted(p["caption"], p.get("parse_mode"), p.get("caption_entities"), "caption")
        )
    copied = bot_post(sb, req, record.kind, content)
    return {"message_id": copied.message_id}


@api("pinChatMessage")
async def pin_chat_message(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _bot_chat(sb, req.params["chat_id"])
    if chat.is_group:
        sb.require_right(chat, "can_pin_messages", "manage pinned messages in the chat")
    record = chat.get_message(req.params["message_id"])
    if record is None:
        raise bad_request("message to pin not found")
    if record.message_id in chat.pinned_ids:
        chat.pinned_ids.remove(record.message_id)
    chat.pinned_ids.append(record.message_id)
    pinned = dict(record.message)
    pinned.pop("reply_to_message", None)
    post_service(sb, chat, sb.bot_id, "pinned_message", pinned)
    return True


@api("unpinChatMessage", "unpinAllChatMessages")
async def unpin_chat_message(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _bot_chat(sb, req.params["chat_id"])
    if chat.is_group:
        sb.require_right(chat, "can_pin_messages", "manage pinned messages in the chat")
    message_id = req.params.get("message_id")
    if req.method == "unpinAllChatMessages":
        chat.pinned_ids.clear()
    elif message_id is None:
        if chat.pinned_ids:
            chat.pinned_ids.pop()
    elif message_id in chat.pinned_ids:
        chat.pinned_ids.remove(message_id)
    else:
        raise bad_request("message to unpin not found")
    return True


@api("sendChatAction")
async def send_chat_action(sb: Sandbox, req: ValidatedRequest) -> bool:
    action = req.params["action"]
    if action not in CHAT_ACTIONS:
        raise bad_request(f"wrong parameter action in request ({action!r})", violation=True)
    chat = sb.resolve_chat(req.params["chat_id"])
    sb.ensure_bot_can_send(chat)
    sb.chat_actions.append((chat.id, action))
    return True


@api("sendLocation")
async def send_location(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    p = req.params
    location = {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}
    return bot_post(sb, req, "location", {"location": location}).message


@api("sendContact")
async def send_contact(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    p = req.params
    contact = {k: p[k] for k in ("phone_number", "first_name", "last_name", "vcard") if k in p}
    return bot_post(sb, req, "contact", {"contact": contact}).message
