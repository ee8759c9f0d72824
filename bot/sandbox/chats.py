"""Chats of the sandbox: private chats and groups, their messages, members and invite links.

A ``SandboxChat`` is both the state of one chat and the handle tests use for a group
(``group.title``, ``group.members``, ``group.status_of(user)``). Membership is tracked per
user (and for the bot) as ``MemberState``; ``member_dict`` renders it as a Bot API
``ChatMember`` of the right subtype.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox.errors import ActionRefused
from bot.sandbox.state import (
    SERVICE_KINDS,
    InviteLink,
    MemberState,
    MessageRecord,
    new_invite_link,
)

if TYPE_CHECKING:
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.state import TranscriptEntry
    from bot.sandbox.users import SandboxUser

__all__ = ["SandboxChat", "normalise_rights"]

_CHANNEL_ONLY = {"can_post_messages", "can_edit_messages", "can_manage_direct_messages"}
_OFF_BY_DEFAULT = {"can_change_info", "can_pin_messages", "can_manage_topics", "can_edit_tag"}


def normalise_rights(names: dict[str, bool] | list[str] | tuple[str, ...]) -> dict[str, bool]:
    """Accept {"can_invite_users": True} or ["invite_users", "can_pin_messages", "anonymous"]."""
    items = names.items() if isinstance(names, dict) else ((name, True) for name in names)
    out: dict[str, bool] = {}
    for name, value in items:
        key = name if name.startswith(("can_", "is_")) else f"can_{name}"
        if key == "can_anonymous":
            key = "is_anonymous"
        out[key] = bool(value)
    return out


class SandboxChat:
    """A private chat or a group."""

    def __init__(
        self,
        sandbox: Sandbox,
        chat_id: int,
        chat_type: str,
        *,
        title: str | None = None,
        user: SandboxUser | None = None,
        username: str | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.id = chat_id
        self.type = chat_type
        self.title = title
        self.description: str | None = None
        self.username = username
        self.user = user
        self.messages: dict[int, MessageRecord] = {}
        self._next_message_id = 1
        self.member_states: dict[int, MemberState] = {}
        self.invite_links: dict[str, InviteLink] = {}
        self.pinned_ids: list[int] = []
        self.permissions: dict[str, bool] = {
            name: name not in _OFF_BY_DEFAULT for name in self.permission_names()
        }
        self.join_requests: dict[int, InviteLink | None] = {}
        self.join_decisions: dict[int, str] = {}
        # A basic group upgraded to a supergroup lives on under a new id; the old one is
        # deactivated (see bot.sandbox.supergroups).
        self.migrated_to: int | None = None
        self.migrated_from: int | None = None
        self.is_forum = False  # a supergroup with topics (bot.sandbox.forums)
        self.topics: dict[int, str] = {}  # thread id -> name

    def __repr__(self) -> str:
        return f"SandboxChat(id={self.id}, type={self.type!r}, title={self.title!r})"

    @property
    def is_group(self) -> bool:
        """Whether this is a group or supergroup."""
        return self.type in ("group", "supergroup")

    # --- Bot API objects -------------------------------------------------------------------

    def as_chat(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        if self.user is not None:
            return {"id": self.id, "type": "private", **self.user.names()}
        chat: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.username:
            chat["username"] = self.username
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def full_info(self) -> dict[str, Any]:
        """The Bot API ``ChatFullInfo`` object (getChat)."""
        info: dict[str, Any] = {
            **self.as_chat(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if self.is_group:
            if self.description:
                info["description"] = self.description
            info["permissions"] = dict(self.permissions)
            primary = next((link for link in self.invite_links.values() if link.is_primary), None)
            if primary is not None and not primary.is_revoked:
                info["invite_link"] = primary.invite_link
            if self.pinned_ids:
                pinned = self.messages.get(self.pinned_ids[-1])
                if pinned is not None and not pinned.deleted:
                    info["pinned_message"] = pinned.message
        return info

    # --- membership ------------------------------------------------------------------------

    def permission_names(self) -> list[str]:
        """The ChatPermissions fields a restricted member has (from the schema)."""
        fields = self.sandbox.schema.types["ChatMemberRestricted"]["fields"]
        return [name for name in fields if name.startswith("can_")]

    def admin_right_names(self) -> list[str]:
        """The administrator rights of group admins (from the schema)."""
        fields = self.sandbox.schema.types["ChatMemberAdministrator"]["fields"]
        return [
            name
            for name in fields
            if (name.startswith("can_") or name == "is_anonymous")
            and name not in _CHANNEL_ONLY
            and name != "can_be_edited"
        ]

    def full_rights(self, rights: dict[str, bool]) -> dict[str, bool]:
        """All administrator rights, the given ones on (can_manage_chat is implied)."""
        names = self.admin_right_names()
        unknown = set(rights) - set(names)
        if unknown:
            raise ValueError(f"unknown administrator rights: {sorted(unknown)}")
        full = {name: bool(rights.get(name, False)) for name in names}
        full["can_manage_chat"] = True
        return full

    def member(self, user_id: int) -> MemberState:
        """Membership state of a user (``left`` when never seen)."""
        return self.member_states.get(user_id) or MemberState(user_id, "left")

    def status_of(self, who: SandboxUser | int) -> str:
        """creator, administrator, member, restricted, left or kicked."""
        user_id = who if isinstance(who, int) else who.id
        return self.member(user_id).status

    @property
    def members(self) -> dict[int, MemberState]:
        """Users (and the bot) who are in the chat now, by user id."""
        return {uid: state for uid, state in self.member_states.items() if state.present}

    @property
    def bot_member(self) -> MemberState:
        """The bot's membership."""
        return self.member(self.sandbox.bot_id)

    def bot_is_admin(self) -> bool:
        """Whether the bot is an administrator here."""
        return self.bot_member.status == "administrator"

    def bot_has(self, right: str) -> bool:
        """Whether the bot holds an administrator right here."""
        state = self.bot_member
        return state.status == "administrator" and state.rights.get(right, False)

    def invite_link_by(
        self,
        admin: SandboxUser,
        *,
        member_limit: int | None = None,
        expire_date: int | None = None,
    ) -> str:
        """An administrator (not the bot) makes an additional invite link, as in the app; the
        bot cannot revoke or edit it (the Bot API manages only links the bot created)."""
        state = self.member(admin.id)
        if not (state.status == "creator" or state.rights.get("can_invite_users")):
            raise ActionRefused(f"{admin.full_name} cannot make invite links in {self.title!r}")
        link = InviteLink(
            new_invite_link(), admin.id, self.id, member_limit=member_limit, expire_date=expire_date
        )
        self.invite_links[link.invite_link] = link
        return link.invite_link

    def member_dict(self, user_id: int) -> dict[str, Any]:
        """The Bot API ``ChatMember`` object of a user."""
        state = self.member(user_id)
        user = self.sandbox.user_dict(user_id)
        base: dict[str, Any] = {"status": state.status, "user": user}
        if state.status == "creator":
            base["is_anonymous"] = False
        elif state.status == "administrator":
            base.update({"can_be_edited": False, **self.full_rights(state.rights)})
        elif state.status == "restricted":
            base.update(
                is_member=state.is_member,
                until_date=state.until_date,
                **{
                    name: state.permissions.get(name, self.permissions.get(name, False))
                    for name in self.permission_names()
                },
            )
        elif state.status == "kicked":
            base["until_date"] = state.until_date
        if state.custom_title and state.status in ("creator", "administrator"):
            base["custom_title"] = state.custom_title
        return base

    def ensure_active(self, who: str) -> None:
        """ActionRefused for anything done in a group that was upgraded to a supergroup."""
        if self.migrated_to is not None:
            raise ActionRefused(
                f"{who}: {self.title!r} was upgraded to the supergroup {self.migrated_to}; "
                "act there instead"
            )

    def can_send(self, user_id: int) -> bool:
        """Whether a member may post messages here."""
        if self.migrated_to is not None:
            return False
        state = self.member(user_id)
        if state.status == "restricted":
            return state.is_member and state.permissions.get("can_send_messages", False)
        if state.status == "member":
            return self.permissions.get("can_send_messages", True)
        return state.status in ("creator", "administrator")

    # --- messages --------------------------------------------------------------------------

    def add_message(
        self,
        sender: dict[str, Any],
        *,
        from_bot: bool,
        kind: str,
        content: dict[str, Any],
        reply_to: MessageRecord | None = None,
    ) -> MessageRecord:
        """Store a new message (ids increase per chat) and notify waiters."""
        message_id = self._next_message_id
        self._next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": sender,
            "chat": self.as_chat(),
            "date": self.sandbox.now(),
            **content,
        }
        if reply_to is not None:
            replied = dict(reply_to.message)
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        record = MessageRecord(
            chat_id=self.id,
            message_id=message_id,
            sender_id=int(sender["id"]),
            from_bot=from_bot,
            kind=kind,
            message=message,
            seq=self.sandbox.next_seq(),
        )
        self.messages[message_id] = record
        self.sandbox.notify()
        return record

    def get_message(self, message_id: int) -> MessageRecord | None:
        """A message that exists and was not deleted."""
        record = self.messages.get(message_id)
        return None if record is None or record.deleted else record

    def bot_messages(self) -> list[MessageRecord]:
        """Messages the bot sent here, oldest first (deleted ones included, service
        messages such as "pinned" left out)."""
        return [
            record
            for record in self.messages.values()
            if record.from_bot and record.kind not in SERVICE_KINDS
        ]

    def transcript(self) -> list[TranscriptEntry]:
        """Everything in this chat, oldest first, as participants see it now."""
        return [self.sandbox.entry(record) for record in self.messages.values()]

    def pinned(self) -> list[int]:
        """Ids of pinned messages, oldest pin first."""
        return list(self.pinned_ids)
