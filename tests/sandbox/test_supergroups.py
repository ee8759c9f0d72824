"""A basic group upgraded to a supergroup: what moves, what the bot is told, and how requests
to the old id fail (python-telegram-bot's ChatMigrated)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from telegram import Bot, ChatMemberAdministrator
from telegram.error import BadRequest, ChatMigrated

from bot.sandbox import ActionRefused, Sandbox, SandboxChat, SandboxServer, SandboxUser

ADMIN = ["invite_users", "pin_messages", "restrict_members", "change_info"]


@pytest.fixture
def people(sandbox: Sandbox) -> tuple[SandboxUser, SandboxUser, SandboxChat]:
    alice = sandbox.user("Alice", username="alice")
    bob = sandbox.user("Bob", username="bob")
    group = sandbox.group("Case chat", creator=alice, type="group", members=[bob])
    return alice, bob, group


def delivered(sandbox: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    """(kind, payload) of every update queued for the bot, in order."""
    return [(next(k for k in u if k != "update_id"), u) for u in sandbox.updates.log]


async def test_upgrade_moves_the_group_to_a_new_supergroup(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    await alice.add_bot_to_group(group, admin_rights=ADMIN)
    summary = await bot.send_message(group.id, "Claim summary")
    await bot.pin_chat_message(group.id, summary.message_id)
    link = await bot.create_chat_invite_link(group.id, member_limit=1)
    before = len(sandbox.updates.log)

    supergroup = sandbox.upgrade_group(group, by=alice)

    assert supergroup.type == "supergroup" and str(supergroup.id).startswith("-100")
    assert (supergroup.title, supergroup.migrated_from, group.migrated_to) == (
        "Case chat",
        group.id,
        supergroup.id,
    )
    assert set(supergroup.members) == {alice.id, bob.id, sandbox.bot_id}
    assert supergroup.status_of(alice) == "creator"
    rights = await bot.get_chat_member(supergroup.id, sandbox.bot_id)
    assert isinstance(rights, ChatMemberAdministrator)
    assert rights.can_invite_users and rights.can_pin_messages and rights.can_restrict_members
    info = await bot.get_chat(supergroup.id)
    assert info.type == "supergroup" and info.title == "Case chat"
    assert info.pinned_message is not None and info.pinned_message.text == "Claim summary"
    assert info.pinned_message.from_user is not None and info.pinned_message.from_user.is_bot
    # the one-time link made for the group still lets its one person in, into the supergroup
    carol = sandbox.user("Carol")
    assert await carol.open_link(link.invite_link) == "joined"
    assert carol.id in supergroup.members

    kinds = delivered(sandbox)[before:]
    assert [kind for kind, _ in kinds][:3] == ["message", "message", "my_chat_member"]
    to, from_, joined = (update for _, update in kinds[:3])
    assert to["message"]["chat"] == {"id": group.id, "type": "group", "title": "Case chat"}
    assert to["message"]["migrate_to_chat_id"] == supergroup.id
    assert to["message"]["from"]["id"] == alice.id
    assert from_["message"]["chat"]["id"] == supergroup.id
    assert from_["message"]["migrate_from_chat_id"] == group.id
    assert from_["message"]["message_id"] == 1
    assert joined["my_chat_member"]["chat"]["id"] == supergroup.id
    assert joined["my_chat_member"]["old_chat_member"]["status"] == "left"
    assert joined["my_chat_member"]["new_chat_member"]["status"] == "administrator"


async def test_requests_to_the_old_id_raise_chat_migrated(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    await alice.add_bot_to_group(group, admin_rights=ADMIN)
    sent = await bot.send_message(group.id, "Before the upgrade")
    supergroup = sandbox.upgrade_group(group, by=alice)

    for call in (
        bot.send_message(group.id, "After the upgrade"),
        bot.pin_chat_message(group.id, sent.message_id),
        bot.create_chat_invite_link(group.id, member_limit=1),
        bot.ban_chat_member(group.id, bob.id),
        bot.get_chat_member(group.id, bob.id),
        bot.set_chat_title(group.id, "Renamed"),
    ):
        with pytest.raises(ChatMigrated) as moved:
            await call
        assert moved.value.new_chat_id == supergroup.id
    # reading the old chat itself still works; its messages can no longer be edited
    old = await bot.get_chat(group.id)
    assert old.type == "group"
    assert (await bot.get_chat_member(group.id, sandbox.bot_id)).status == "administrator"
    with pytest.raises(BadRequest, match="deactivated"):
        await bot.edit_message_text("Edited", chat_id=group.id, message_id=sent.message_id)
    assert [e.text for e in alice.transcript(group) if e.from_bot and e.kind == "text"] == [
        "Before the upgrade"
    ]
    assert await bot.send_message(supergroup.id, "Here now")


async def test_the_raw_answer_carries_migrate_to_chat_id(
    sandbox: Sandbox, server: SandboxServer, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, _, group = people
    await alice.add_bot_to_group(group)
    supergroup = sandbox.upgrade_group(group, by=alice)
    async with httpx.AsyncClient(base_url=server.base_url + sandbox.bot_token) as client:
        answer = await client.post("/sendMessage", json={"chat_id": group.id, "text": "hi"})
    assert answer.status_code == 400
    assert answer.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": supergroup.id},
    }


async def test_nobody_acts_in_the_old_group_any_more(
    sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    await alice.add_bot_to_group(group, admin_rights=ADMIN)  # it reads everything
    supergroup = sandbox.upgrade_group(group, by=alice)
    with pytest.raises(ActionRefused, match="upgraded"):
        await bob.send("still here?", chat=group)
    with pytest.raises(ActionRefused, match="upgraded"):
        await sandbox.user("Dan").join(group)
    with pytest.raises(ActionRefused, match="upgraded"):
        sandbox.upgrade_group(group, by=alice)
    await bob.send("here we are", chat=supergroup)
    assert any(u.get("message", {}).get("text") == "here we are" for u in sandbox.updates.log)


async def test_only_owners_and_admins_upgrade_basic_groups(
    sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, bob, group = people
    with pytest.raises(ActionRefused, match="cannot upgrade"):
        sandbox.upgrade_group(group, by=bob)
    with pytest.raises(ValueError, match="only a basic group"):
        sandbox.upgrade_group(sandbox.group("Already super", creator=alice), by=alice)


async def test_undelivered_or_bot_made_upgrade_tells_the_bot_nothing(
    bot: Bot, sandbox: Sandbox, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, _, group = people
    await alice.add_bot_to_group(group, admin_rights=ADMIN)
    before = len(sandbox.updates.log)
    supergroup = sandbox.upgrade_group(group, by=alice, deliver=False)
    assert sandbox.updates.log[before:] == []
    assert [e.kind for e in alice.transcript(supergroup)] == ["migrate_from_chat_id"]
    with pytest.raises(ChatMigrated):
        await bot.send_message(group.id, "hello?")

    other = sandbox.group("Second", creator=alice, type="group")
    await alice.add_bot_to_group(other, admin_rights=ADMIN)
    before = len(sandbox.updates.log)
    sandbox.upgrade_group(other)  # the bot's own action: no updates for its service messages
    assert [kind for kind, _ in delivered(sandbox)[before:]] == ["my_chat_member"]


async def test_control_api_upgrades_a_group(
    sandbox: Sandbox, server: SandboxServer, people: tuple[SandboxUser, SandboxUser, SandboxChat]
) -> None:
    alice, _, group = people
    async with httpx.AsyncClient(base_url=f"{server.url}/_sandbox") as client:
        answer = await client.post(f"/groups/{group.id}/upgrade", json={"by_id": alice.id})
        again = await client.post(f"/groups/{group.id}/upgrade", json={"by_id": alice.id})
    result = answer.json()["result"]
    assert result["type"] == "supergroup" and result["id"] == group.migrated_to
    assert again.status_code == 400 and "upgraded" in again.json()["error"]
