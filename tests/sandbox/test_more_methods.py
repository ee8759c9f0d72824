"""More Bot API methods: forward/copy, chat actions, markup edits, invite link management,
chat info, bot profile texts, menu button, and serving one sandbox twice."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonCommands
from telegram.constants import ChatAction
from telegram.error import BadRequest

from bot.sandbox import Sandbox, SandboxServer


async def test_forward_copy_and_chat_action(bot: Bot, sandbox: Sandbox) -> None:
    alice, mediator = sandbox.user("Alice"), sandbox.user("Mo")
    await mediator.send("/start")
    evidence = await alice.send_document(b"%PDF-1.4", "contract.pdf", caption="contract")
    forwarded = await bot.forward_message(mediator.id, alice.id, evidence["message_id"])
    assert forwarded.forward_origin is not None
    assert forwarded.document is not None and forwarded.document.file_name == "contract.pdf"
    copied = await bot.copy_message(mediator.id, alice.id, evidence["message_id"], caption="copy")
    entries = mediator.transcript()
    assert [(e.kind, e.text) for e in entries[1:]] == [
        ("document", "contract"),
        ("document", "copy"),
    ]
    assert entries[2].message_id == copied.message_id
    await bot.send_chat_action(mediator.id, ChatAction.UPLOAD_DOCUMENT)
    assert sandbox.chat_actions == [(mediator.id, "upload_document")]
    with pytest.raises(BadRequest, match="Message to forward not found"):
        await bot.forward_message(mediator.id, alice.id, 999)


async def test_markup_edits_and_not_modified(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("/start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(alice.id, "Step 1", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Step 1", alice.id, sent.message_id, reply_markup=markup)
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=None)
    assert alice.transcript()[-1].buttons == []
    user_message = await alice.send("mine")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("theirs", alice.id, user_message["message_id"])
    second = await bot.send_message(alice.id, "Step 2")
    assert await bot.delete_messages(alice.id, [sent.message_id, second.message_id, 999])
    assert alice.bot_texts() == []
    reply = await bot.send_message(alice.id, "Re", reply_to_message_id=user_message["message_id"])
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "mine"


async def test_invite_link_management(bot: Bot, sandbox: Sandbox) -> None:
    alice, bob = sandbox.user("Alice"), sandbox.user("Bob")
    group = sandbox.group("Case", creator=alice)
    await alice.add_bot_to_group(group, admin_rights=["invite_users"])
    primary = await bot.export_chat_invite_link(group.id)
    link = await bot.create_chat_invite_link(group.id, name="old", member_limit=5)
    edited = await bot.edit_chat_invite_link(group.id, link.invite_link, name="new")
    assert edited.name == "new" and edited.member_limit is None  # edit replaces all fields
    chat = await bot.get_chat(group.id)
    assert chat.invite_link == primary
    newer = await bot.export_chat_invite_link(group.id)
    assert newer != primary
    from bot.sandbox import ActionRefused

    with pytest.raises(ActionRefused, match="revoked"):
        await bob.join(group, invite_link=primary)
    assert await bob.join(group, invite_link=newer) == "joined"
    expiring = await bot.create_chat_invite_link(group.id, expire_date=sandbox.now() + 60)
    assert expiring.expire_date is not None


async def test_chat_info_and_bot_profile(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice", username="alice")
    await alice.send("/start")
    chat = await bot.get_chat(alice.id)
    assert (chat.type, chat.username, chat.first_name) == ("private", "alice", "Alice")
    assert (await bot.get_chat_member(alice.id, alice.id)).status == "member"
    await bot.set_my_name("Dispute Bot EN", language_code="en")
    await bot.set_my_description("Mediates disputes")
    await bot.set_my_short_description("Disputes", language_code="en")
    assert (await bot.get_my_name(language_code="en")).name == "Dispute Bot EN"
    assert (await bot.get_my_description()).description == "Mediates disputes"
    assert sandbox.settings.short_descriptions == {"en": "Disputes"}
    await bot.set_chat_menu_button(alice.id, MenuButtonCommands())
    assert (await bot.get_chat_menu_button(alice.id)).type == "commands"
    group = sandbox.group("Case", creator=alice)
    await alice.add_bot_to_group(group, admin_rights=["change_info"])
    await bot.set_chat_description(group.id, "Order #7")
    assert group.description == "Order #7"
    assert (await bot.get_chat(group.id)).description == "Order #7"
    assert await bot.log_out() and await bot.close()


async def test_sandbox_can_be_served_again(sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("queued")
    async with SandboxServer(sandbox) as first:
        client = Bot(sandbox.bot_token, base_url=first.base_url)
        async with client:
            assert len(await client.get_updates(timeout=0)) == 1
    async with SandboxServer(sandbox) as second:
        client = Bot(sandbox.bot_token, base_url=second.base_url)
        async with client:
            await alice.send("again")
            updates = await client.get_updates(timeout=1)
            assert [u.message.text for u in updates if u.message] == ["queued", "again"]
    sandbox.assert_no_violations()
