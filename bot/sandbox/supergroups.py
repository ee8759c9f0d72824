"""Upgrading a basic group to a supergroup, as Telegram does it.

Telegram upgrades a basic group when it needs something only supergroups have (a public link,
visible history for new members, granular administrator rights, more than 200 members); an
administrator action of the bot can be such a trigger too. The group moves to a new chat with a
new id (-100...): its members, administrators with their rights (the bot's included), title,
description, default permissions, pinned message and invite links go there. The old group is
deactivated:

- the bot gets the service message ``migrate_to_chat_id`` in the old group and
  ``migrate_from_chat_id`` (message 1) in the new supergroup, then ``my_chat_member`` for
  being in the supergroup (Telegram sends that join, never a leave for the old group:
  tdlib/telegram-bot-api#266). Telegram documents no order; here it is this one. As for every
  service message, none is delivered when the bot itself caused the upgrade;
- a request that writes to the old group or reads its members fails with 400 "group chat was
  upgraded to a supergroup chat" and ``parameters.migrate_to_chat_id`` (python-telegram-bot
  raises ``ChatMigrated`` with ``new_chat_id``); reading the chat itself (getChat, the bot's
  own membership) still works and its messages can no longer be edited, as in the Bot API
  server (telegram-bot-api Client.cpp, ``check_chat_access``);
- people can no longer write, join or add the bot there.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from bot.sandbox.chats import SandboxChat
from bot.sandbox.errors import ActionRefused, ApiError, bad_request
from bot.sandbox.groups import bot_sees
from bot.sandbox.state import MessageRecord

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.users import SandboxUser

__all__ = ["UPGRADED", "refuse_upgraded", "upgrade"]

UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
# What the Bot API server still serves for a deactivated group (AccessRights::Read) ...
_READ = frozenset({"getChat", "leaveChat"})
# ... and what it lets through its access check only to fail on the message (AccessRights::Edit).
_EDIT = frozenset(
    {
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
        "editMessageChecklist",
        "stopPoll",
    }
)
# Fields that belong to a message's place, not its content, when the pinned message is moved.
_PLACE = frozenset({"message_id", "from", "chat", "date", "reply_to_message", "edit_date"})


def upgrade(
    sb: Sandbox, group: SandboxChat, by: SandboxUser | None, *, deliver: bool = True
) -> SandboxChat:
    """Upgrade the basic group ``group`` (by ``by``, an owner or administrator; None: the bot)
    and return the new supergroup. With ``deliver=False`` the bot gets none of the updates (as
    when they were lost while it was offline): it learns of the move only from a refused
    request."""
    if group.type != "group":
        raise ValueError(f"only a basic group can be upgraded, {group} is a {group.type}")
    actor = sb.bot_id if by is None else by.id
    group.ensure_active(by.full_name if by is not None else sb.bot_name)
    if group.member(actor).status not in ("creator", "administrator"):
        raise ActionRefused(f"{sb.user_dict(actor)['first_name']} cannot upgrade {group.title!r}")
    new = SandboxChat(sb, sb.next_group_id("supergroup"), "supergroup", title=group.title)
    new.description = group.description
    new.permissions = dict(group.permissions)
    new.migrated_from = group.id
    new.member_states = copy.deepcopy(group.member_states)
    new.invite_links, group.invite_links = group.invite_links, {}
    for link in new.invite_links.values():
        link.chat_id = new.id
    new.join_requests, group.join_requests = group.join_requests, {}
    sender = sb.user_dict(actor)
    moved_to = group.add_message(
        sender,
        from_bot=by is None,
        kind="migrate_to_chat_id",
        content={"migrate_to_chat_id": new.id},
    )
    group.migrated_to = new.id
    sb.chats[new.id] = new
    moved_from = new.add_message(
        sender,
        from_bot=by is None,
        kind="migrate_from_chat_id",
        content={"migrate_from_chat_id": group.id},
    )
    _move_pinned(group, new)
    if deliver:
        _deliver(sb, group, new, (moved_to, moved_from), sender, by is None)
    sb.notify()
    return new


def _move_pinned(group: SandboxChat, new: SandboxChat) -> None:
    """The pinned messages reappear in the supergroup (with new ids) and stay pinned there."""
    for message_id in group.pinned_ids:
        record = group.get_message(message_id)
        if record is None:
            continue
        content = {k: v for k, v in record.message.items() if k not in _PLACE}
        copied = new.add_message(
            record.message["from"], from_bot=record.from_bot, kind=record.kind, content=content
        )
        copied.message["date"] = record.message["date"]
        new.pinned_ids.append(copied.message_id)


def _deliver(
    sb: Sandbox,
    group: SandboxChat,
    new: SandboxChat,
    records: tuple[MessageRecord, MessageRecord],
    sender: dict[str, Any],
    by_bot: bool,
) -> None:
    moved_to, moved_from = records
    if not by_bot:  # no updates for service messages the bot caused
        if bot_sees(sb, group, moved_to):
            sb.emit("message", moved_to.message)
        if bot_sees(sb, new, moved_from):
            sb.emit("message", moved_from.message)
    if new.bot_member.present:
        sb.emit(
            "my_chat_member",
            {
                "chat": new.as_chat(),
                "from": sender,
                "date": sb.now(),
                "old_chat_member": {"status": "left", "user": sb.bot_user},
                "new_chat_member": new.member_dict(sb.bot_id),
            },
        )


def refuse_upgraded(sb: Sandbox, method: str, params: dict[str, Any]) -> None:
    """Fail a request to an upgraded group the way the Bot API server does."""
    chat_id = params.get("chat_id")
    chat = sb.chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is None or chat.migrated_to is None:
        return
    if method in _READ or (method == "getChatMember" and params.get("user_id") == sb.bot_id):
        return
    if method in _EDIT:
        raise bad_request("group chat was deactivated")
    raise ApiError(400, UPGRADED, migrate_to_chat_id=chat.migrated_to)
