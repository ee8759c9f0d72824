"""The test-facing API: users acting, entities, transcripts, waiting, links, control API."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import ActionRefused, Sandbox, SandboxServer
from bot.sandbox.formatting import entity_text


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=t.lower())] for t in labels]
    )


async def test_commands_and_utf16_entities(sandbox: Sandbox) -> None:
    alice = sandbox.user("Алиса", username="alice")
    message = await alice.send("/claim@DisputeTestBot 😀 see https://x.org/a and @bob_smith")
    text = message["text"]
    kinds = [(e["type"], entity_text(text, e)) for e in message["entities"]]
    assert kinds == [
        ("bot_command", "/claim@DisputeTestBot"),
        ("url", "https://x.org/a"),
        ("mention", "@bob_smith"),
    ]
    # the emoji counts as two UTF-16 code units
    assert message["entities"][1]["offset"] == len("/claim@DisputeTestBot 😀 see ") + 1
    deep = await alice.open_deep_link("case_7")
    assert deep["text"] == "/start case_7"
    assert deep["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert alice.started and alice.id == alice.private_chat.id > 0


async def test_ids_and_clock(sandbox: Sandbox) -> None:
    now = [1_700_000_000.0]
    sb = Sandbox(clock=lambda: now[0])
    alice, bob = sb.user("Alice"), sb.user("Bob")
    first = await alice.send("a")
    now[0] += 60
    second = await alice.send("b")
    other = await bob.send("c")
    assert (first["message_id"], second["message_id"], other["message_id"]) == (1, 2, 1)
    assert (first["date"], second["date"]) == (1_700_000_000, 1_700_000_060)
    group = sb.group("G", creator=alice, type="group")
    assert group.id < 0 and group.type == "group"


async def test_transcript_next_message_and_edits(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("/start")
    first = await bot.send_message(alice.id, "Pick one", reply_markup=keyboard("A", "B"))
    await bot.send_message(alice.id, "Second")
    assert (await alice.next_message()).text == "Pick one"
    assert (await alice.next_message()).text == "Second"
    await bot.edit_message_text("Picked", alice.id, first.message_id, reply_markup=keyboard("Undo"))
    entries = alice.transcript()
    assert [(e.sender, e.text, e.edited) for e in entries] == [
        ("Alice", "/start", False),
        ("Dispute Bot", "Picked", True),
        ("Dispute Bot", "Second", False),
    ]
    assert entries[1].buttons == [[("Undo", "undo")]]
    await bot.delete_message(alice.id, first.message_id)
    assert alice.transcript()[1].deleted
    assert alice.bot_texts() == ["Second"]
    with pytest.raises(TimeoutError, match="Dispute Bot: Second"):
        await alice.next_message(timeout=0.05)


async def test_wait_for_sees_edits(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("hi")
    sent = await bot.send_message(alice.id, "Working…")
    waiter = asyncio.create_task(alice.wait_for(lambda m: m.text == "Done"))
    await asyncio.sleep(0)
    assert not waiter.done()
    await bot.edit_message_text("Done", alice.id, sent.message_id)
    async with asyncio.timeout(1):
        entry = await waiter
    assert entry.message_id == sent.message_id and entry.edited


async def test_press_errors_and_old_messages(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("hi")
    old = await bot.send_message(alice.id, "Old", reply_markup=keyboard("Accept"))
    await bot.send_message(alice.id, "New", reply_markup=keyboard("Accept", "Reject"))
    with pytest.raises(AssertionError, match=r"visible buttons:[\s\S]*Reject"):
        await alice.press("Maybe")

    async def answer_later() -> None:
        await sandbox.wait_until(lambda: sandbox.pending_queries)
        (query_id,) = sandbox.pending_queries
        await bot.answer_callback_query(query_id, "ok")

    helper = asyncio.create_task(answer_later())
    answer = await alice.press("Accept", message=old.message_id)
    await helper
    assert answer.message_id == old.message_id and answer.text == "ok"
    callback = sandbox.updates.log[-1]["callback_query"]
    assert callback["message"]["text"] == "Old" and callback["data"] == "accept"
    with pytest.raises(TimeoutError, match="did not answer"):
        await alice.press("Reject", timeout=0.05)


async def test_blocked_user_cannot_write(sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("hi")
    alice.block_bot()
    with pytest.raises(ActionRefused, match="unblock"):
        await alice.send("hello?")
    alice.unblock_bot()
    await alice.send("hello!")
    statuses = [
        u["my_chat_member"]["new_chat_member"]["status"]
        for u in sandbox.updates.log
        if "my_chat_member" in u
    ]
    assert statuses == ["kicked", "member"]


def test_parse_link(sandbox: Sandbox) -> None:
    start = sandbox.parse_link("https://t.me/DisputeTestBot?start=inv_AbC-9")
    assert (start.kind, start.username, start.payload) == ("start", "DisputeTestBot", "inv_AbC-9")
    tg = sandbox.parse_link("tg://resolve?domain=DisputeTestBot&start=x1")
    assert (tg.kind, tg.payload) == ("start", "x1")
    group = sandbox.parse_link(
        "https://t.me/DisputeTestBot?startgroup=g1&admin=anonymous+invite_users"
    )
    assert group.admin_rights == {"is_anonymous": True, "can_invite_users": True}
    assert sandbox.parse_link("https://t.me/+AbCdEf").kind == "invite"
    with pytest.raises(ValueError, match="payload"):
        sandbox.parse_link("https://t.me/DisputeTestBot?start=has space")
    with pytest.raises(ValueError, match="payload"):
        sandbox.parse_link(f"https://t.me/DisputeTestBot?start={'a' * 65}")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_optional_rate_limit(bot: Bot, sandbox: Sandbox) -> None:
    from telegram.error import RetryAfter

    alice = sandbox.user("Alice")
    await alice.send("hi")
    for n in range(5):
        await bot.send_message(alice.id, f"burst {n}")  # off by default
    sandbox.rate_limit_per_chat = True
    with pytest.raises(RetryAfter):
        for n in range(4):
            await bot.send_message(alice.id, f"limited {n}")


async def test_control_api(sandbox: Sandbox, server: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=f"{server.url}/_sandbox") as client:
        index = (await client.get("/")).json()
        assert index["result"]["bot"]["username"] == "DisputeTestBot"
        user = (await client.post("/users", json={"name": "Dana", "username": "dana"})).json()
        user_id = user["result"]["id"]
        sent = await client.post(f"/users/{user_id}/send", json={"text": "/start"})
        assert sent.json()["result"]["text"] == "/start"
        status, _ = await sandbox.call("sendMessage", {"chat_id": user_id, "text": "Welcome"})
        assert status == 200
        transcript = (await client.get(f"/users/{user_id}/transcript")).json()["result"]
        assert [e["text"] for e in transcript] == ["/start", "Welcome"]
        refused = await client.post(f"/users/{user_id}/press", json={"button": "Nope"})
        assert refused.status_code == 400 and "no callback button" in refused.json()["error"]
        group = (await client.post("/groups", json={"title": "G", "creator_id": user_id})).json()
        added = await client.post(
            f"/users/{user_id}/add_bot", json={"chat_id": group["result"]["id"]}
        )
        assert added.json() == {"ok": True, "result": True}
        fault = {"method": "sendMessage", "kind": "500", "chat_id": user_id, "after": 1}
        assert (await client.post("/faults", json=fault)).json() == {"ok": True, "result": True}
        assert (await sandbox.call("sendMessage", {"chat_id": user_id, "text": "a"}))[0] == 200
        assert (await sandbox.call("sendMessage", {"chat_id": user_id, "text": "b"}))[0] == 500
        assert (await client.get("/violations")).json()["result"] == []


async def test_open_link(bot: Bot, sandbox: Sandbox) -> None:
    alice, bob = sandbox.user("Alice"), sandbox.user("Bob")
    sent = await alice.open_link("https://t.me/DisputeTestBot?start=case_1")
    assert isinstance(sent, dict) and sent["text"] == "/start case_1"
    with pytest.raises(ValueError, match="payload"):
        await alice.open_deep_link("bad=payload")
    group = sandbox.group("Case 1", creator=alice)
    await alice.open_link(
        "https://t.me/DisputeTestBot?startgroup=g_1&admin=invite_users", group=group
    )
    assert group.bot_has("can_invite_users")
    assert alice.transcript(group)[-1].text == "/start@DisputeTestBot g_1"
    invite = await bot.create_chat_invite_link(group.id, member_limit=1)
    assert await bob.open_link(invite.invite_link) == "joined"
    with pytest.raises(ActionRefused, match="does not lead"):
        await bob.open_link("https://t.me/OtherBot?start=x")
