"""Callback queries and waiting for the bot, from both sides.

A simulated user presses an inline button (``press``): the sandbox finds the button on the
message's current keyboard, emits a ``callback_query`` update and waits until the bot calls
``answerCallbackQuery`` (the handler is here too). ``next_bot_message`` and
``wait_for_bot_message`` are the event-driven waits behind ``SandboxUser.next_message`` and
``SandboxUser.wait_for``; on timeout they show the end of the transcript.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox.dispatch import api
from bot.sandbox.errors import ActionRefused, bad_request
from bot.sandbox.links import parse_link
from bot.sandbox.state import CallbackAnswer, MessageRecord, TranscriptEntry

if TYPE_CHECKING:
    from bot.sandbox.chats import SandboxChat
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.schema import ValidatedRequest
    from bot.sandbox.users import SandboxUser

__all__ = [
    "check_payload",
    "next_bot_message",
    "open_link",
    "press",
    "transcript_tail",
    "wait_for_bot_message",
]

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")


def transcript_tail(chat: SandboxChat, count: int = 8) -> str:
    """The last messages of a chat, for error messages."""
    entries = chat.transcript()[-count:]
    lines = "\n  ".join(str(e) for e in entries) or "(empty)"
    return f"last messages in {chat}:\n  {lines}"


def _find_button(
    chat: SandboxChat, button_text: str, message_id: int | None
) -> tuple[MessageRecord, str] | None:
    if message_id is not None:
        candidates = [chat.messages.get(message_id)]
    else:
        candidates = list(reversed(chat.bot_messages()))
    for record in candidates:
        if record is None or record.deleted:
            continue
        data = record.callback_data_for(button_text)
        if data is not None:
            return record, data
    return None


async def press(
    user: SandboxUser,
    chat: SandboxChat,
    button_text: str,
    message_id: int | None,
    timeout: float,  # noqa: ASYNC109 - how long the bot may take to answer
) -> CallbackAnswer:
    """Emit a callback_query for a button and wait for the bot's answer."""
    found = _find_button(chat, button_text, message_id)
    if found is None:
        visible = "\n  ".join(
            f"#{r.message_id}: {r.buttons}"
            for r in chat.bot_messages()
            if r.buttons and not r.deleted
        )
        where = f" on message {message_id}" if message_id is not None else ""
        raise AssertionError(
            f"{user.full_name}: no callback button {button_text!r} in {chat}{where}; "
            f"visible buttons:\n  {visible or '(none)'}"
        )
    record, data = found
    sb = user.sandbox
    query_id = sb.new_query_id()
    sb.pending_queries[query_id] = CallbackAnswer(
        query_id, user.id, chat.id, record.message_id, data
    )
    sb.emit(
        "callback_query",
        {
            "id": query_id,
            "from": user.as_user(),
            "message": dict(record.message),
            "chat_instance": str(abs(chat.id) * 7919 % 10**12),
            "data": data,
        },
    )
    return await sb.notifier.wait_until(
        lambda: sb.answers_by_id.get(query_id),
        timeout,
        lambda: (
            f"the bot did not answer {user.full_name}'s press of {button_text!r} "
            f"(answerCallbackQuery)\n{transcript_tail(chat)}"
        ),
    )


@api("answerCallbackQuery")
async def answer_callback_query(sb: Sandbox, req: ValidatedRequest) -> bool:
    p = req.params
    pending = sb.pending_queries.pop(p["callback_query_id"], None)
    if pending is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    answer = CallbackAnswer(
        pending.query_id,
        pending.user_id,
        pending.chat_id,
        pending.message_id,
        pending.data,
        text=p.get("text"),
        show_alert=bool(p.get("show_alert", False)),
        url=p.get("url"),
        cache_time=p.get("cache_time"),
    )
    sb.callback_answers.append(answer)
    sb.answers_by_id[answer.query_id] = answer
    return True


async def next_bot_message(
    user: SandboxUser,
    chat: SandboxChat,
    cursor: int,
    timeout: float,  # noqa: ASYNC109 - how long to wait for the bot
) -> TranscriptEntry:
    """The bot message at position ``cursor`` of the chat, waiting for it to arrive."""
    await user.sandbox.notifier.wait_until(
        lambda: len(chat.bot_messages()) > cursor,
        timeout,
        lambda: f"no new bot message for {user.full_name}\n{transcript_tail(chat)}",
    )
    return user.sandbox.entry(chat.bot_messages()[cursor])


async def wait_for_bot_message(
    user: SandboxUser,
    chat: SandboxChat,
    predicate: Callable[[TranscriptEntry], bool],
    timeout: float,  # noqa: ASYNC109 - how long to wait for the bot
) -> TranscriptEntry:
    """The newest current bot message that satisfies ``predicate``, waiting for one."""

    def match() -> TranscriptEntry | None:
        for record in reversed(chat.bot_messages()):
            if not record.deleted:
                entry = user.sandbox.entry(record)
                if predicate(entry):
                    return entry
        return None

    return await user.sandbox.notifier.wait_until(
        match,
        timeout,
        lambda: f"no bot message matched for {user.full_name}\n{transcript_tail(chat)}",
    )


def check_payload(payload: str | None) -> None:
    """Telegram passes only start payloads of 1-64 characters of A-Za-z0-9_-."""
    if payload is not None and not _PAYLOAD.fullmatch(payload):
        raise ValueError(f"start payload must be 1-64 characters of A-Za-z0-9_-: {payload!r}")


async def open_link(
    user: SandboxUser, url: str, group: SandboxChat | None
) -> dict[str, Any] | str | None:
    """What a Telegram client does when the user taps a t.me link."""
    sb = user.sandbox
    link = parse_link(url)
    if link.kind == "invite":
        for chat in sb.chats.values():
            if url in chat.invite_links:
                return await user.join(chat, invite_link=url)
        raise ActionRefused(f"{user.full_name}: invite link {url} is not valid")
    if (link.username or "").lower() != sb.bot_username.lower():
        raise ActionRefused(f"{url} does not lead to @{sb.bot_username}")
    if link.kind == "startgroup":
        if group is None:
            raise ValueError("a startgroup link needs the group to add the bot to")
        await user.add_bot_to_group(group, link.payload, link.admin_rights or None)
        return None
    if link.kind == "username" and user.started:
        return None  # the chat just opens
    return await user.open_deep_link(link.payload)
