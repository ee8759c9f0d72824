"""Group mechanics: membership changes with their updates, joins, invite links, privacy mode.

Every membership change goes through ``change_member``, which emits ``my_chat_member`` (for
the bot) or ``chat_member`` (for users; delivered only when "chat_member" is in
allowed_updates, as on Telegram). Service messages (``new_chat_members``,
``left_chat_member``, ...) are stored in the chat and delivered to the bot regardless of
privacy mode, unless the bot itself caused them.

An invite link's ``member_limit`` counts, as on Telegram, the members who joined through it *at
the same time* ("the maximum number of users that can be members of the chat simultaneously
after joining the chat via this invite link"): when the person who used a one-time link leaves
or is removed, the link admits someone again until it expires or is revoked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox.chats import normalise_rights
from bot.sandbox.errors import ActionRefused, bad_request
from bot.sandbox.state import SERVICE_KINDS, InviteLink, MemberState, MessageRecord

if TYPE_CHECKING:
    from bot.sandbox.chats import SandboxChat
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.users import SandboxUser

__all__ = [
    "add_bot",
    "admin_from_request",
    "admit",
    "bot_sees",
    "change_member",
    "invite_link_dict",
    "join_group",
    "joined_through",
    "post_service",
]


def change_member(
    sb: Sandbox,
    chat: SandboxChat,
    new: MemberState,
    actor_id: int,
    *,
    invite_link: InviteLink | None = None,
    via_join_request: bool = False,
) -> None:
    """Set a membership and emit the ChatMemberUpdated update."""
    old = chat.member(new.user_id)
    old_dict = chat.member_dict(new.user_id)
    if new.invite_link is None and old.present and new.present:
        new.invite_link = old.invite_link  # a promotion or restriction keeps how they came in
    chat.member_states[new.user_id] = new
    payload: dict[str, Any] = {
        "chat": chat.as_chat(),
        "from": sb.user_dict(actor_id),
        "date": sb.now(),
        "old_chat_member": old_dict,
        "new_chat_member": chat.member_dict(new.user_id),
    }
    if invite_link is not None:
        payload["invite_link"] = invite_link_dict(sb, invite_link)
    if via_join_request:
        payload["via_join_request"] = True
    if new.user_id == sb.bot_id:
        sb.emit("my_chat_member", payload)
    elif chat.bot_is_admin():  # Telegram sends chat_member only to administrators
        sb.emit("chat_member", payload)
    sb.notify()


def post_service(
    sb: Sandbox, chat: SandboxChat, actor_id: int, kind: str, value: Any
) -> MessageRecord:
    """Store a service message and deliver it unless the bot caused it."""
    record = chat.add_message(
        sb.user_dict(actor_id),
        from_bot=actor_id == sb.bot_id,
        kind=kind,
        content={kind: value},
    )
    if actor_id != sb.bot_id and bot_sees(sb, chat, record):
        sb.emit("message", record.message)
    return record


def bot_sees(sb: Sandbox, chat: SandboxChat, record: MessageRecord) -> bool:
    """Whether the bot gets an update for this message (membership and privacy mode)."""
    if chat.user is not None:
        return True
    if not chat.bot_member.present:
        return False
    if record.kind in SERVICE_KINDS:
        return True
    if chat.bot_is_admin() or sb.can_read_all_group_messages:
        return True
    message = record.message
    text = str(message.get("text") or message.get("caption") or "")
    entities = message.get("entities") or message.get("caption_entities") or []
    me = f"@{sb.bot_username}".lower()
    for entity in entities:
        chunk = text.encode("utf-16-le")[
            entity["offset"] * 2 : (entity["offset"] + entity["length"]) * 2
        ].decode("utf-16-le")
        if entity["type"] == "bot_command" and entity["offset"] == 0:
            target = chunk.partition("@")[2]
            if not target or f"@{target}".lower() == me:
                return True
        if entity["type"] == "mention" and chunk.lower() == me:
            return True
    replied = message.get("reply_to_message")
    return bool(replied and replied.get("from", {}).get("id") == sb.bot_id)


def invite_link_dict(sb: Sandbox, link: InviteLink) -> dict[str, Any]:
    """The Bot API ``ChatInviteLink`` object."""
    out: dict[str, Any] = {
        "invite_link": link.invite_link,
        "creator": sb.user_dict(link.creator_id),
        "creates_join_request": link.creates_join_request,
        "is_primary": link.is_primary,
        "is_revoked": link.is_revoked,
    }
    if link.name:
        out["name"] = link.name
    if link.expire_date is not None:
        out["expire_date"] = link.expire_date
    if link.member_limit is not None:
        out["member_limit"] = link.member_limit
    if link.creates_join_request:
        out["pending_join_request_count"] = len(link.pending)
    return out


def joined_through(chat: SandboxChat, link: InviteLink) -> int:
    """How many present members joined through ``link`` (what ``member_limit`` counts)."""
    return sum(
        1
        for state in chat.member_states.values()
        if state.present and state.invite_link == link.invite_link
    )


def _usable_link(sb: Sandbox, chat: SandboxChat, url: str, user: SandboxUser) -> InviteLink:
    link = chat.invite_links.get(url)
    if link is None:
        raise ActionRefused(f"{user.full_name}: invite link {url} is not a link of {chat.title!r}")
    if link.is_revoked:
        raise ActionRefused(f"{user.full_name}: invite link {url} was revoked")
    if link.expire_date is not None and sb.now() >= link.expire_date:
        raise ActionRefused(f"{user.full_name}: invite link {url} has expired")
    if link.member_limit is not None and joined_through(chat, link) >= link.member_limit:
        raise ActionRefused(
            f"{user.full_name}: invite link {url} reached its member limit ({link.member_limit})"
        )
    return link


def admit(
    sb: Sandbox,
    chat: SandboxChat,
    user: SandboxUser,
    actor_id: int,
    *,
    link: InviteLink | None = None,
    via_join_request: bool = False,
) -> None:
    """Make a user a member: chat_member update plus the new_chat_members service message."""
    if link is not None:
        link.uses += 1
        link.pending.discard(user.id)
    change_member(
        sb,
        chat,
        MemberState(user.id, "member", invite_link=link.invite_link if link else None),
        actor_id if not via_join_request else user.id,
        invite_link=link,
        via_join_request=via_join_request,
    )
    post_service(sb, chat, user.id, "new_chat_members", [user.as_user()])


async def join_group(
    sb: Sandbox,
    user: SandboxUser,
    chat: SandboxChat,
    invite_link: str | None,
    *,
    wait: bool,
    timeout: float,  # noqa: ASYNC109 - the wait for the admins' decision
) -> str:
    """A user joins a group; returns "joined", "pending", "approved" or "declined"."""
    chat.ensure_active(user.full_name)
    state = chat.member(user.id)
    if state.present:
        raise ActionRefused(f"{user.full_name} is already a member of {chat.title!r}")
    if state.status == "kicked":
        raise ActionRefused(f"{user.full_name} is banned from {chat.title!r}")
    link = _usable_link(sb, chat, invite_link, user) if invite_link else None
    if link is None or not link.creates_join_request:
        admit(sb, chat, user, user.id, link=link)
        return "joined"
    link.pending.add(user.id)
    chat.join_requests[user.id] = link
    chat.join_decisions.pop(user.id, None)
    sb.emit(
        "chat_join_request",
        {
            "chat": chat.as_chat(),
            "from": user.as_user(),
            "user_chat_id": user.id,
            "date": sb.now(),
            "invite_link": invite_link_dict(sb, link),
        },
    )
    if not wait:
        return "pending"
    return await sb.notifier.wait_until(
        lambda: chat.join_decisions.get(user.id),
        timeout,
        lambda: f"the bot did not approve or decline {user.full_name}'s join request",
    )


def add_bot(
    sb: Sandbox,
    user: SandboxUser,
    group: SandboxChat,
    admin_rights: dict[str, bool] | list[str] | None,
) -> None:
    """A member adds the bot (as administrator when rights are given)."""
    group.ensure_active(user.full_name)
    mine = group.member(user.id)
    if not mine.present:
        raise ActionRefused(f"{user.full_name} is not in {group.title!r}")
    if not sb.can_join_groups:
        raise ActionRefused("the bot cannot be added to groups (can_join_groups is off)")
    if group.bot_member.present:
        raise ActionRefused(f"the bot is already in {group.title!r}")
    if admin_rights is not None and not (
        mine.status == "creator" or mine.rights.get("can_promote_members")
    ):
        raise ActionRefused(f"{user.full_name} cannot make the bot an administrator")
    state = MemberState(sb.bot_id, "member")
    if admin_rights is not None:
        rights = group.full_rights(normalise_rights(admin_rights))
        state = MemberState(sb.bot_id, "administrator", rights=rights)
    change_member(sb, group, state, user.id)
    post_service(sb, group, user.id, "new_chat_members", [sb.bot_user])


def remove_bot(sb: Sandbox, user: SandboxUser, group: SandboxChat) -> None:
    """A member removes the bot from the group."""
    if not group.bot_member.present:
        raise ActionRefused(f"the bot is not in {group.title!r}")
    change_member(sb, group, MemberState(sb.bot_id, "left"), user.id)
    post_service(sb, group, user.id, "left_chat_member", sb.bot_user)


def set_bot_rights(
    sb: Sandbox,
    user: SandboxUser,
    group: SandboxChat,
    admin_rights: dict[str, bool] | list[str] | None,
) -> None:
    """An owner promotes the bot with these rights, or demotes it (None)."""
    if group.member(user.id).status != "creator":
        raise ActionRefused(f"{user.full_name} is not the owner of {group.title!r}")
    if not group.bot_member.present:
        raise ActionRefused(f"the bot is not in {group.title!r}")
    state = MemberState(sb.bot_id, "member")
    if admin_rights is not None:
        rights = group.full_rights(normalise_rights(admin_rights))
        state = MemberState(sb.bot_id, "administrator", rights=rights)
    change_member(sb, group, state, user.id)


def leave(sb: Sandbox, user: SandboxUser, group: SandboxChat) -> None:
    """A user leaves a group."""
    if not group.member(user.id).present:
        raise ActionRefused(f"{user.full_name} is not in {group.title!r}")
    change_member(sb, group, MemberState(user.id, "left"), user.id)
    post_service(sb, group, user.id, "left_chat_member", user.as_user())


def private_chat_status(sb: Sandbox, user: SandboxUser, new_status: str) -> None:
    """The user blocks ("kicked") or unblocks ("member") the bot: my_chat_member."""
    old = "member" if new_status == "kicked" else "kicked"

    def member(status: str) -> dict[str, Any]:
        extra = {"until_date": 0} if status == "kicked" else {}
        return {"status": status, "user": sb.bot_user, **extra}

    sb.emit(
        "my_chat_member",
        {
            "chat": user.private_chat.as_chat(),
            "from": user.as_user(),
            "date": sb.now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new_status),
        },
    )


def admin_from_request(
    sb: Sandbox, chat: SandboxChat, user_id: int, params: dict[str, Any]
) -> MemberState:
    """The membership promoteChatMember asks for; the bot can only grant rights it holds."""
    requested = {name: bool(params[name]) for name in chat.admin_right_names() if name in params}
    own = chat.bot_member.rights
    missing = sorted(
        name
        for name, on in requested.items()
        if on and name not in ("is_anonymous", "can_manage_chat") and not own.get(name)
    )
    if missing:
        raise bad_request(f"not enough rights to grant {', '.join(missing)} (RIGHT_FORBIDDEN)")
    if not any(requested.values()):
        return MemberState(user_id, "member")
    return MemberState(user_id, "administrator", rights=requested)
