"""Groups: adding the bot via startgroup, invite links, joins, bans, rights, privacy mode."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, ChatMemberAdministrator, ChatPermissions, Update
from telegram.error import BadRequest
from telegram.ext import ChatMemberHandler, CommandHandler, ContextTypes

from bot.sandbox import ActionRefused, Sandbox, SandboxChat, SandboxServer, SandboxUser
from tests.sandbox.conftest import Recorder, build_app, running

ADMIN = ["invite_users", "delete_messages", "pin_messages", "restrict_members"]


def texts_delivered(sandbox: Sandbox) -> list[str]:
    return [u["message"]["text"] for u in sandbox.updates.log if "text" in u.get("message", {})]


@pytest.fixture
def people(sandbox: Sandbox) -> tuple[SandboxUser, SandboxUser, SandboxChat]:
    alice = sandbox.user("Alice", username="alice")
    bob = sandbox.user("Bob", username="bob")
    group = sandbox.group("Dispute chat", creator=alice)
    return alice, bob, group


async def test_startgroup_adds_bot_as_admin(
    sandbox: Sandbox, server: SandboxServer, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, _, group = people
    link = sandbox.parse_link(
        "https://t.me/DisputeTestBot?startgroup=tok_42&admin=invite_users+delete_messages+pin_messages"
    )
    assert (link.kind, link.payload) == ("startgroup", "tok_42")
    assert link.admin_rights == {
        "can_invite_users": True,
        "can_delete_messages": True,
        "can_pin_messages": True,
    }
    recorder = Recorder()
    seen_args: list[list[str]] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen_args.append(list(context.args or []))
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Case chat ready")

    app = build_app(server)
    app.add_handler(ChatMemberHandler(recorder.handle, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(CommandHandler("start", start))
    async with running(app, sandbox):
        await alice.add_bot_to_group(
            group, start_payload=link.payload, admin_rights=link.admin_rights
        )
        reply = await alice.next_message(chat=group)
        update = await recorder.wait_for(lambda u: u.my_chat_member is not None)
    assert reply.text == "Case chat ready"
    assert seen_args == [["tok_42"]]
    assert update.my_chat_member is not None
    new = update.my_chat_member.new_chat_member
    assert isinstance(new, ChatMemberAdministrator)
    assert new.can_invite_users and new.can_pin_messages and not new.can_restrict_members
    assert update.my_chat_member.from_user.id == alice.id
    assert group.status_of(sandbox.bot_id) == "administrator"
    start_message = next(
        u["message"] for u in sandbox.updates.log if "message" in u and "text" in u["message"]
    )
    assert start_message["text"] == "/start@DisputeTestBot tok_42"
    assert start_message["entities"] == [{"type": "bot_command", "offset": 0, "length": 21}]


async def test_one_time_invite_link(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    carol = sandbox.user("Carol")
    await alice.add_bot_to_group(group, admin_rights=ADMIN)
    await bot.get_updates(allowed_updates=["message", "chat_member", "my_chat_member"])
    link = await bot.create_chat_invite_link(group.id, member_limit=1, name="supplier")
    assert link.member_limit == 1 and link.name == "supplier"
    assert await bob.join(group, invite_link=link.invite_link) == "joined"
    with pytest.raises(ActionRefused, match="member limit"):
        await carol.join(group, invite_link=link.invite_link)
    assert bob.id in group.members and carol.id not in group.members
    kinds = [next(k for k in u if k != "update_id") for u in sandbox.updates.log]
    assert kinds.count("chat_member") == 1
    joined = next(u["chat_member"] for u in sandbox.updates.log if "chat_member" in u)
    assert joined["invite_link"]["invite_link"] == link.invite_link
    assert joined["new_chat_member"]["status"] == "member"
    service = [
        u["message"] for u in sandbox.updates.log if "new_chat_members" in u.get("message", {})
    ]
    assert service[-1]["new_chat_members"][0]["id"] == bob.id
    member = await bot.get_chat_member(group.id, bob.id)
    assert member.status == "member"
    assert await bot.get_chat_member_count(group.id) == 3  # alice, bot, bob

    revoked = await bot.revoke_chat_invite_link(group.id, link.invite_link)
    assert revoked.is_revoked
    with pytest.raises(ActionRefused, match="revoked"):
        await carol.join(group, invite_link=link.invite_link)


async def test_chat_member_updates_need_allowed_updates(
    sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    await alice.add_bot_to_group(group, admin_rights=ADMIN)
    await bob.join(group)
    assert not any("chat_member" in u for u in sandbox.updates.log)  # default allowed_updates
    assert group.status_of(bob) == "member"


async def test_join_request_approved_and_declined(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    import asyncio

    alice, bob, group = people
    carol = sandbox.user("Carol")
    await alice.add_bot_to_group(group, admin_rights=ADMIN)
    link = await bot.create_chat_invite_link(group.id, creates_join_request=True)
    joining = asyncio.create_task(bob.join(group, invite_link=link.invite_link))
    await sandbox.wait_until(lambda: any("chat_join_request" in u for u in sandbox.updates.log))
    request = next(u["chat_join_request"] for u in sandbox.updates.log if "chat_join_request" in u)
    assert request["from"]["id"] == bob.id and request["user_chat_id"] == bob.id
    await bot.approve_chat_join_request(group.id, bob.id)
    assert await joining == "approved"
    assert group.status_of(bob) == "member"
    assert await carol.join(group, invite_link=link.invite_link, wait=False) == "pending"
    await bot.decline_chat_join_request(group.id, carol.id)
    assert group.join_decisions[carol.id] == "declined"
    assert group.status_of(carol) == "left"
    with pytest.raises(BadRequest, match="Hide_requester_missing"):
        await bot.approve_chat_join_request(group.id, carol.id)


async def test_ban_needs_rights_and_blocks_sending(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    await alice.add_bot_to_group(group)  # a plain member
    await bob.join(group)
    with pytest.raises(BadRequest, match="Not enough rights to restrict/unrestrict chat member"):
        await bot.ban_chat_member(group.id, bob.id)
    await alice.set_bot_rights(group, ["restrict_members", "invite_users"])
    await bot.ban_chat_member(group.id, bob.id)
    assert group.status_of(bob) == "kicked"
    with pytest.raises(ActionRefused):
        await bob.send("let me in", chat=group)
    with pytest.raises(ActionRefused, match="banned"):
        await bob.join(group)
    with pytest.raises(BadRequest, match="Can't remove chat owner"):
        await bot.ban_chat_member(group.id, alice.id)
    await bot.unban_chat_member(group.id, bob.id)
    assert group.status_of(bob) == "left"
    with pytest.raises(BadRequest, match="Not enough rights to manage chat invite links"):
        await alice.set_bot_rights(group, ["restrict_members"])
        await bot.create_chat_invite_link(group.id)


async def test_restrict_promote_and_admin_list(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    await alice.add_bot_to_group(group, admin_rights=[*ADMIN, "promote_members"])
    await bob.join(group)
    await bot.restrict_chat_member(group.id, bob.id, ChatPermissions(can_send_messages=False))
    member = await bot.get_chat_member(group.id, bob.id)
    assert member.status == "restricted"
    with pytest.raises(ActionRefused):
        await bob.send("muted?", chat=group)
    await bot.restrict_chat_member(group.id, bob.id, ChatPermissions.all_permissions())
    assert group.status_of(bob) == "member"
    await bob.send("back", chat=group)
    with pytest.raises(BadRequest, match="Not enough rights to grant can_change_info"):
        await bot.promote_chat_member(group.id, bob.id, can_change_info=True)
    await bot.promote_chat_member(group.id, bob.id, can_invite_users=True)
    admins = await bot.get_chat_administrators(group.id)
    assert sorted(a.user.first_name for a in admins) == ["Alice", "Bob"]
    assert {a.status for a in admins} == {"creator", "administrator"}


async def test_pin_title_and_deleting_others_messages(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, _, group = people
    await alice.add_bot_to_group(group)
    sent = await bot.send_message(group.id, "Claim summary")
    with pytest.raises(BadRequest, match="Not enough rights to manage pinned messages"):
        await bot.pin_chat_message(group.id, sent.message_id)
    with pytest.raises(BadRequest, match="Not enough rights to change chat title"):
        await bot.set_chat_title(group.id, "Case 7")
    said = await alice.send("@DisputeTestBot hello", chat=group)
    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await bot.delete_message(group.id, said["message_id"])
    await alice.set_bot_rights(group, ["pin_messages", "change_info", "delete_messages"])
    await bot.pin_chat_message(group.id, sent.message_id)
    await bot.set_chat_title(group.id, "Case 7")
    await bot.delete_message(group.id, said["message_id"])
    assert sandbox.pinned(group) == [sent.message_id]
    assert group.title == "Case 7"
    assert (await bot.get_chat(group.id)).pinned_message is not None
    entries = alice.transcript(group)
    assert [e.deleted for e in entries if e.message_id == said["message_id"]] == [True]
    assert alice.bot_texts(group) == ["Claim summary"]  # service messages are not texts
    await bot.delete_message(group.id, sent.message_id)
    assert sandbox.pinned(group) == []


async def test_privacy_mode(
    sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    await bob.join(group)
    await alice.add_bot_to_group(group)
    bot_message = group.add_message(
        sandbox.bot_user, from_bot=True, kind="text", content={"text": "I am here"}
    )
    chatting = await alice.send("just chatting", chat=group)
    await alice.send("/help", chat=group)
    await alice.send("/help@OtherBot", chat=group)
    await bob.send("hey @DisputeTestBot, look", chat=group)
    await bob.send("replying", chat=group, reply_to=bot_message.message_id)
    await bob.send("reply to alice", chat=group, reply_to=chatting)
    assert texts_delivered(sandbox) == ["/help", "hey @DisputeTestBot, look", "replying"]
    assert len(alice.transcript(group)) == 9  # joins and everything said are in the chat

    await alice.set_bot_rights(group, ["delete_messages"])
    await alice.send("now everything", chat=group)
    assert texts_delivered(sandbox)[-1] == "now everything"


async def test_privacy_mode_off_reads_everything(
    people: tuple[SandboxUser, SandboxUser, SandboxChat], sandbox: Sandbox
) -> None:
    alice, _, group = people
    sandbox.can_read_all_group_messages = True
    await alice.add_bot_to_group(group)
    await alice.send("just chatting", chat=group)
    assert texts_delivered(sandbox) == ["just chatting"]


async def test_bot_outside_group(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, _, group = people
    with pytest.raises(Exception, match=r"(?i)not a member|chat not found"):
        await bot.send_message(group.id, "hi")
    await alice.add_bot_to_group(group)
    await bot.leave_chat(group.id)
    assert group.status_of(sandbox.bot_id) == "left"
    last: dict[str, Any] = sandbox.updates.log[-1]
    assert last["my_chat_member"]["new_chat_member"]["status"] == "left"
