"""Forum topics, as Telegram has them in a supergroup with topics turned on.

``Sandbox.group(..., forum=True)`` makes a forum (``Chat.is_forum``). ``createForumTopic``
needs an administrator with ``can_manage_topics`` and answers a ``ForumTopic``; its thread id is
the id of the service message ``forum_topic_created`` that opens it, as on Telegram. A message
sent with ``message_thread_id`` goes into that topic (``is_topic_message``); a thread id that is
not a topic of the chat, or any thread id outside a forum, is refused with Telegram's 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox.dispatch import api
from bot.sandbox.errors import bad_request

if TYPE_CHECKING:
    from bot.sandbox.chats import SandboxChat
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.schema import ValidatedRequest

__all__ = ["thread_fields"]

ICON_COLOR = 7322096  # the first of Telegram's six topic colours


def thread_fields(chat: SandboxChat, params: dict[str, Any]) -> dict[str, Any]:
    """The fields a message sent with ``params`` gets for its topic (none without one)."""
    thread = params.get("message_thread_id")
    if thread is None:
        return {}
    if not chat.is_forum:
        raise bad_request("message thread not found")
    if thread not in chat.topics:
        raise bad_request("message thread not found")
    return {"message_thread_id": thread, "is_topic_message": True}


@api("createForumTopic")
async def create_forum_topic(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    p = req.params
    chat = sb.resolve_chat(p["chat_id"])
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    sb.require_right(chat, "can_manage_topics", "create forum topic")
    name = str(p["name"])
    if not 1 <= len(name) <= 128:
        raise bad_request("topic name must be 1-128 characters")
    color = int(p.get("icon_color", ICON_COLOR))
    created = {"name": name, "icon_color": color}
    record = chat.add_message(
        sb.bot_user,
        from_bot=True,
        kind="forum_topic_created",
        content={"forum_topic_created": created, "is_topic_message": True},
    )
    thread = record.message_id
    record.message["message_thread_id"] = thread
    chat.topics[thread] = name
    return {"message_thread_id": thread, "name": name, "icon_color": color}


@api("deleteForumTopic")
async def delete_forum_topic(sb: Sandbox, req: ValidatedRequest) -> bool:
    """The topic and its messages go, as on Telegram; an unknown thread is Telegram's 400."""
    p = req.params
    chat = sb.resolve_chat(p["chat_id"])
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    sb.require_right(chat, "can_manage_topics", "delete forum topic")
    thread = p["message_thread_id"]
    if thread not in chat.topics:
        raise bad_request("message thread not found")
    del chat.topics[thread]
    for message_id in [
        i for i, m in chat.messages.items() if m.message.get("message_thread_id") == thread
    ]:
        del chat.messages[message_id]
    return True
