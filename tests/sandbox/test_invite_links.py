"""Invite links as the Bot API describes them: a member limit counts members present at once,
revokeChatInviteLink works on the bot's own links only, and revoked or expired links admit
nobody (the expiry judged by the clock the sandbox shares with the bot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.sandbox import ActionRefused, Sandbox, SandboxChat, SandboxUser
from flows.clock import FrozenClock
from tests.sandbox.conftest import TOKEN

ADMIN = ["invite_users", "restrict_members", "promote_members"]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))


@pytest.fixture
def sandbox(clock: FrozenClock) -> Sandbox:
    """The conftest's sandbox, on a clock the test moves."""
    return Sandbox(
        bot_token=TOKEN,
        bot_username="DisputeTestBot",
        bot_name="Dispute Bot",
        clock=clock.timestamp,
    )


@pytest.fixture
async def group(sandbox: Sandbox) -> tuple[SandboxUser, SandboxChat]:
    alice = sandbox.user("Alice")
    chat = sandbox.group("Case chat", creator=alice)
    await alice.add_bot_to_group(chat, admin_rights=ADMIN)
    return alice, chat


async def test_a_one_time_link_counts_members_present_at_once(
    bot: Bot, sandbox: Sandbox, group: tuple[SandboxUser, SandboxChat]
) -> None:
    _, chat = group
    bob, carol = sandbox.user("Bob"), sandbox.user("Carol")
    link = (await bot.create_chat_invite_link(chat.id, member_limit=1)).invite_link
    assert await bob.join(chat, invite_link=link) == "joined"
    with pytest.raises(ActionRefused, match="member limit"):
        await carol.join(chat, invite_link=link)

    # Bob is removed (ban, then unban): the link admits one member again, as on Telegram.
    await bot.ban_chat_member(chat.id, bob.id)
    await bot.unban_chat_member(chat.id, bob.id, only_if_banned=True)
    assert bob.id not in chat.members
    assert await carol.join(chat, invite_link=link) == "joined"
    with pytest.raises(ActionRefused, match="member limit"):
        await bob.join(chat, invite_link=link)

    # A promotion does not change how Carol came in: the link stays full.
    await bot.promote_chat_member(chat.id, carol.id, can_invite_users=True)
    with pytest.raises(ActionRefused, match="member limit"):
        await bob.join(chat, invite_link=link)


async def test_a_revoked_link_admits_nobody(
    bot: Bot, sandbox: Sandbox, group: tuple[SandboxUser, SandboxChat]
) -> None:
    _, chat = group
    bob = sandbox.user("Bob")
    link = await bot.create_chat_invite_link(chat.id, member_limit=1, name="supplier")
    revoked = await bot.revoke_chat_invite_link(chat.id, link.invite_link)
    assert revoked.is_revoked and revoked.invite_link == link.invite_link
    assert revoked.name == "supplier" and not revoked.is_primary
    with pytest.raises(ActionRefused, match="revoked"):
        await bob.join(chat, invite_link=link.invite_link)
    assert bob.id not in chat.members


async def test_the_bot_revokes_only_links_it_created(
    bot: Bot, sandbox: Sandbox, group: tuple[SandboxUser, SandboxChat]
) -> None:
    alice, chat = group
    bob = sandbox.user("Bob")
    admins_link = chat.invite_link_by(alice, member_limit=5)
    with pytest.raises(BadRequest, match=r"(?i)chat_admin_required"):
        await bot.revoke_chat_invite_link(chat.id, admins_link)
    assert await bob.join(chat, invite_link=admins_link) == "joined"
    with pytest.raises(ActionRefused, match="cannot make invite links"):
        chat.invite_link_by(bob)


async def test_an_expired_link_admits_nobody_and_can_still_be_revoked(
    bot: Bot, sandbox: Sandbox, clock: FrozenClock, group: tuple[SandboxUser, SandboxChat]
) -> None:
    _, chat = group
    bob = sandbox.user("Bob")
    link = await bot.create_chat_invite_link(
        chat.id, member_limit=1, expire_date=clock.now() + timedelta(hours=24)
    )
    clock.advance(timedelta(hours=24))
    with pytest.raises(ActionRefused, match="expired"):
        await bob.join(chat, invite_link=link.invite_link)
    assert (await bot.revoke_chat_invite_link(chat.id, link.invite_link)).is_revoked
