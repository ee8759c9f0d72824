"""Bot API chat methods: chat info, members, bans and restrictions, promotions, invite links,
join requests, leaving, title and description.

Methods that need administrator rights fail like Telegram ("not enough rights to ...") when
the bot does not hold the right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.sandbox.dispatch import api
from bot.sandbox.errors import bad_request
from bot.sandbox.groups import admin_from_request, admit, change_member, invite_link_dict
from bot.sandbox.groups import post_service as service
from bot.sandbox.state import InviteLink, MemberState, new_invite_link

if TYPE_CHECKING:
    from bot.sandbox.chats import SandboxChat
    from bot.sandbox.sandbox import Sandbox
    from bot.sandbox.schema import ValidatedRequest

__all__: list[str] = []

RESTRICT = "restrict/unrestrict chat member"


def _group(sb: Sandbox, req: ValidatedRequest) -> SandboxChat:
    chat = sb.resolve_chat(req.params["chat_id"])
    if not chat.is_group:
        raise bad_request("chat member status can't be changed in private chats")
    sb.ensure_member_access(chat)
    return chat


def _target(sb: Sandbox, chat: SandboxChat, user_id: int) -> MemberState:
    if user_id not in sb.users and user_id != sb.bot_id:
        raise bad_request("user not found")
    return chat.member(user_id)


def _guard_admin_target(state: MemberState, verb: str) -> None:
    if state.status == "creator":
        raise bad_request(f"can't {verb} chat owner")
    if state.status == "administrator":
        raise bad_request("user is an administrator of the chat")


@api("getChat")
async def get_chat(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    chat = sb.resolve_chat(req.params["chat_id"])
    sb.ensure_member_access(chat)
    return chat.full_info()


@api("getChatMember")
async def get_chat_member(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    chat = sb.resolve_chat(req.params["chat_id"])
    user_id = req.params["user_id"]
    if chat.user is not None:
        if user_id not in (chat.id, sb.bot_id):
            raise bad_request("user not found")
        return {"status": "member", "user": sb.user_dict(user_id)}
    sb.ensure_member_access(chat)
    _target(sb, chat, user_id)
    return chat.member_dict(user_id)


@api("getChatMemberCount")
async def get_chat_member_count(sb: Sandbox, req: ValidatedRequest) -> int:
    chat = sb.resolve_chat(req.params["chat_id"])
    if chat.user is not None:
        return 2
    sb.ensure_member_access(chat)
    return len(chat.members)


@api("getChatAdministrators")
async def get_chat_administrators(sb: Sandbox, req: ValidatedRequest) -> list[dict[str, Any]]:
    chat = _group(sb, req)
    return [
        chat.member_dict(uid)
        for uid, state in chat.members.items()
        if state.status in ("creator", "administrator") and uid != sb.bot_id
    ]


@api("banChatMember")
async def ban_chat_member(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    sb.require_right(chat, "can_restrict_members", RESTRICT)
    user_id = req.params["user_id"]
    state = _target(sb, chat, user_id)
    _guard_admin_target(state, "remove")
    was_present = state.present
    until = int(req.params.get("until_date", 0)) if chat.type == "supergroup" else 0
    change_member(sb, chat, MemberState(user_id, "kicked", until_date=until), sb.bot_id)
    if was_present:
        service(sb, chat, sb.bot_id, "left_chat_member", sb.user_dict(user_id))
    if req.params.get("revoke_messages"):
        for record in chat.messages.values():
            if record.sender_id == user_id:
                record.deleted = True
    return True


@api("unbanChatMember")
async def unban_chat_member(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    sb.require_right(chat, "can_restrict_members", RESTRICT)
    user_id = req.params["user_id"]
    state = _target(sb, chat, user_id)
    if state.status == "kicked" or (state.present and not req.params.get("only_if_banned")):
        _guard_admin_target(state, "remove")
        change_member(sb, chat, MemberState(user_id, "left"), sb.bot_id)
    return True


@api("restrictChatMember")
async def restrict_chat_member(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    sb.require_right(chat, "can_restrict_members", RESTRICT)
    user_id = req.params["user_id"]
    state = _target(sb, chat, user_id)
    _guard_admin_target(state, "restrict")
    wanted = {**chat.permissions, **req.params["permissions"]}
    names = chat.permission_names()
    if all(wanted.get(name, False) for name in names if name.startswith("can_send")):
        new = MemberState(user_id, "member" if state.present else "left")
    else:
        new = MemberState(
            user_id,
            "restricted",
            permissions={name: bool(wanted.get(name, False)) for name in names},
            until_date=int(req.params.get("until_date", 0)),
            is_member=state.present,
        )
    change_member(sb, chat, new, sb.bot_id)
    return True


@api("promoteChatMember")
async def promote_chat_member(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    sb.require_right(chat, "can_promote_members", "promote chat members")
    user_id = req.params["user_id"]
    state = _target(sb, chat, user_id)
    if state.status == "creator":
        raise bad_request("can't change chat owner's rights")
    if not state.present:
        raise bad_request("user is not a member of the chat")
    change_member(sb, chat, admin_from_request(sb, chat, user_id, req.params), sb.bot_id)
    return True


@api("setChatPermissions")
async def set_chat_permissions(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    sb.require_right(chat, "can_restrict_members", RESTRICT)
    chat.permissions.update({k: bool(v) for k, v in req.params["permissions"].items()})
    return True


def _link(chat: SandboxChat, url: str) -> InviteLink:
    link = chat.invite_links.get(url)
    if link is None:
        raise bad_request("INVITE_HASH_EXPIRED (invite link not found)")
    return link


def _link_fields(link: InviteLink, p: dict[str, Any], now: int) -> None:
    expire = p.get("expire_date")
    if expire is not None and expire <= now:
        raise bad_request("EXPIRE_DATE_INVALID (expire_date is in the past)")
    link.name = p.get("name")
    link.expire_date = expire
    link.member_limit = p.get("member_limit")
    link.creates_join_request = bool(p.get("creates_join_request", False))


@api("createChatInviteLink")
async def create_chat_invite_link(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    chat = _group(sb, req)
    sb.require_right(chat, "can_invite_users", "manage chat invite links")
    link = InviteLink(new_invite_link(), sb.bot_id, chat.id)
    _link_fields(link, req.params, sb.now())
    chat.invite_links[link.invite_link] = link
    return invite_link_dict(sb, link)


@api("editChatInviteLink")
async def edit_chat_invite_link(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    chat = _group(sb, req)
    sb.require_right(chat, "can_invite_users", "manage chat invite links")
    link = _link(chat, req.params["invite_link"])
    if link.is_primary:
        raise bad_request("can't edit the primary invite link")
    if link.is_revoked:
        raise bad_request("INVITE_HASH_EXPIRED (the invite link was revoked)")
    if link.creator_id != sb.bot_id:
        raise bad_request("CHAT_ADMIN_REQUIRED (the link was created by another administrator)")
    _link_fields(link, req.params, sb.now())
    return invite_link_dict(sb, link)


def _new_primary(sb: Sandbox, chat: SandboxChat) -> InviteLink:
    for old in chat.invite_links.values():
        if old.is_primary:
            old.is_revoked = True
            old.is_primary = False
    link = InviteLink(new_invite_link(), sb.bot_id, chat.id, is_primary=True)
    chat.invite_links[link.invite_link] = link
    return link


@api("revokeChatInviteLink")
async def revoke_chat_invite_link(sb: Sandbox, req: ValidatedRequest) -> dict[str, Any]:
    chat = _group(sb, req)
    sb.require_right(chat, "can_invite_users", "manage chat invite links")
    link = _link(chat, req.params["invite_link"])
    # "revoke an invite link created by the bot" (api.json); the primary link is the chat's.
    if link.creator_id != sb.bot_id and not link.is_primary:
        raise bad_request("CHAT_ADMIN_REQUIRED (the link was created by another administrator)")
    was_primary = link.is_primary
    if was_primary:
        _new_primary(sb, chat)
        link.is_primary = True  # the answer shows the revoked link as it was
    link.is_revoked = True
    answer = invite_link_dict(sb, link)
    link.is_primary = False
    return answer


@api("exportChatInviteLink")
async def export_chat_invite_link(sb: Sandbox, req: ValidatedRequest) -> str:
    chat = _group(sb, req)
    sb.require_right(chat, "can_invite_users", "manage chat invite links")
    return _new_primary(sb, chat).invite_link


@api("approveChatJoinRequest", "declineChatJoinRequest")
async def decide_join_request(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    sb.require_right(chat, "can_invite_users", "manage join requests")
    user_id = req.params["user_id"]
    if user_id not in chat.join_requests:
        raise bad_request("HIDE_REQUESTER_MISSING")
    link = chat.join_requests.pop(user_id)
    if link is not None:
        link.pending.discard(user_id)
    if req.method == "approveChatJoinRequest":
        admit(sb, chat, sb.users[user_id], sb.bot_id, link=link, via_join_request=True)
        chat.join_decisions[user_id] = "approved"
    else:
        chat.join_decisions[user_id] = "declined"
    sb.notify()
    return True


@api("leaveChat")
async def leave_chat(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    change_member(sb, chat, MemberState(sb.bot_id, "left"), sb.bot_id)
    return True


@api("setChatTitle", "setChatDescription")
async def set_chat_text(sb: Sandbox, req: ValidatedRequest) -> bool:
    chat = _group(sb, req)
    field = "title" if req.method == "setChatTitle" else "description"
    sb.require_right(chat, "can_change_info", f"change chat {field}")
    value = req.params.get(field) or None
    if value == getattr(chat, field):
        raise bad_request(f"chat {field} is not modified")
    setattr(chat, field, value)
    if field == "title":
        service(sb, chat, sb.bot_id, "new_chat_title", value)
    return True
