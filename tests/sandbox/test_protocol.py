"""Protocol behaviour: request encodings, schema violations, faults, getUpdates semantics."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.sandbox import Sandbox, SandboxServer


@pytest.fixture
async def http(server: SandboxServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.base_url}{server.sandbox.bot_token}/") as c:
        yield c


async def test_encodings_json_form_query_multipart(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    alice = sandbox.user("Alice")
    await alice.send("hi")
    as_json = await http.post("sendMessage", json={"chat_id": alice.id, "text": "json"})
    as_form = await http.post("sendMessage", data={"chat_id": str(alice.id), "text": "123"})
    as_query = await http.get("sendMessage", params={"chat_id": alice.id, "text": "query"})
    as_multipart = await http.post(
        "sendDocument",
        data={"chat_id": str(alice.id), "document": "attach://file1"},
        files={"file1": ("notes.txt", b"hello", "text/plain")},
    )
    for response in (as_json, as_form, as_query, as_multipart):
        assert response.status_code == 200, response.text
    assert alice.bot_texts() == ["json", "123", "query", ""]
    assert as_multipart.json()["result"]["document"]["file_name"] == "notes.txt"


async def test_wrong_token_and_unknown_method(sandbox: Sandbox, server: SandboxServer) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{server.base_url}123456:NOPE/getMe")
        missing = await client.post(f"{server.base_url}{sandbox.bot_token}/sendTelepathy")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert missing.status_code == 404
    assert missing.json()["description"] == "Not Found: method not found"
    assert sandbox.violations == ["sendTelepathy: method not found"]
    sandbox.violations.clear()


@pytest.mark.filterwarnings("ignore:Please use 'Bot.sendMessage'")
async def test_callback_data_over_64_bytes_is_refused(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("/start")
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "é" * 33}]]}  # 66 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.do_api_request(
            "sendMessage",
            api_kwargs={"chat_id": alice.id, "text": "hi", "reply_markup": json.dumps(markup)},
        )
    assert len(sandbox.violations) == 1
    assert "sendMessage: BUTTON_DATA_INVALID" in sandbox.violations[0]
    assert "callback_data is 66 bytes" in sandbox.violations[0]
    assert alice.bot_texts() == []
    sandbox.violations.clear()
    # 32 two-byte characters are exactly 64 bytes: fine
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 32)]])
    await bot.send_message(alice.id, "ok", reply_markup=keyboard)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"chat_id": 1, "text": "a" * 4097}, "message is too long"),
        ({"chat_id": 1, "text": "   "}, "message text is empty"),
        ({"chat_id": 1, "text": "x", "colour": "red"}, 'unknown field "colour"'),
        ({"text": "x"}, 'field "chat_id" is required'),
        ({"chat_id": 1, "text": "1.5", "parse_mode": "MarkdownV2"}, "Character '.' is reserved"),
        ({"chat_id": 1, "text": "<b>open", "parse_mode": "HTML"}, "can't parse entities"),
        ({"chat_id": 1, "text": "x", "disable_notification": "maybe"}, "can't parse JSON"),
        (
            {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "t"}]]}},
            "exactly one action field",
        ),
    ],
)
async def test_schema_violations(sandbox: Sandbox, params: dict[str, object], reason: str) -> None:
    alice = sandbox.user("Alice")
    await alice.send("hi")
    params = {**params, "chat_id": alice.id} if "chat_id" in params else params
    status, body = await sandbox.call("sendMessage", params)
    assert status == 400
    assert reason in body["description"]
    assert len(sandbox.violations) == 1 and reason in sandbox.violations[0]


async def test_limits_of_other_objects(sandbox: Sandbox) -> None:
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "setMyCommands",
            {"commands": [{"command": "Start", "description": "x"}]},
            "does not match",
        ),
        ("setMyCommands", {"commands": [{"command": "c" * 33, "description": "x"}]}, "1-32"),
        ("setMyCommands", {"commands": [{"command": "c", "description": ""}]}, "1-256"),
        ("createChatInviteLink", {"chat_id": -1, "name": "n" * 33}, "0-32"),
        ("createChatInviteLink", {"chat_id": -1, "member_limit": 100000}, "1-99999"),
        (
            "createChatInviteLink",
            {"chat_id": -1, "member_limit": 1, "creates_join_request": True},
            "member_limit can't be specified together with creates_join_request",
        ),
        ("sendPhoto", {"chat_id": 1, "photo": "x", "caption": "c" * 1025}, "caption is too long"),
        (
            "setMyCommands",
            {"commands": [], "scope": {"type": "nobody"}},
            "scope.type must be one of",
        ),
    ]
    for method, params, reason in cases:
        status, body = await sandbox.call(method, params)
        assert status == 400, (method, params)
        assert reason in body["description"], body
    assert len(sandbox.violations) == len(cases)
    sandbox.violations.clear()


async def test_unimplemented_method_is_a_violation(sandbox: Sandbox) -> None:
    status, body = await sandbox.call("sendDice", {"chat_id": 1})
    assert status == 400
    assert body["description"] == "Bad Request: sandbox does not implement sendDice"
    assert sandbox.violations == ["sendDice: sandbox does not implement sendDice"]
    sandbox.violations.clear()


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_then_retry_succeeds(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("hi")
    sandbox.faults.inject(method="sendMessage", kind="429", retry_after=3, times=1)
    with pytest.raises(RetryAfter, match="Retry in 3"):
        await bot.send_message(alice.id, "first try")
    assert alice.bot_texts() == []  # the faulted request did not take effect
    await bot.send_message(alice.id, "second try")
    assert alice.bot_texts() == ["second try"]


async def test_server_errors_and_dropped_connections(bot: Bot, sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("hi")
    sandbox.faults.inject(method="sendMessage", kind="502")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(alice.id, "a")
    sandbox.faults.inject(method="sendMessage", kind="500")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "b")
    sandbox.faults.inject(method="sendMessage", kind="drop")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "c")
    await bot.send_message(alice.id, "d")
    assert alice.bot_texts() == ["d"]
    assert [kind for _, kind in sandbox.faults.fired] == ["502", "500", "drop"]


async def test_the_nth_request_to_one_chat_fails_with_the_chosen_code(
    bot: Bot, sandbox: Sandbox
) -> None:
    alice, bob = sandbox.user("Alice"), sandbox.user("Bob")
    await alice.send("hi")
    await bob.send("hi")
    # The second sendMessage to Alice fails with 400; Bob's and Alice's others go through.
    sandbox.faults.inject("sendMessage", "400", chat_id=alice.id, after=1, reason="chat not found")
    sandbox.faults.inject("sendMessage", "403", chat_id=bob.id, after=2)
    await bot.send_message(alice.id, "a1")
    await bot.send_message(bob.id, "b1")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(alice.id, "a2")
    await bot.send_message(alice.id, "a3")
    await bot.send_message(bob.id, "b2")
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(bob.id, "b3")
    await bot.send_message(bob.id, "b4")
    assert alice.bot_texts() == ["a1", "a3"]
    assert bob.bot_texts() == ["b1", "b2", "b4"]
    assert sandbox.faults.fired == [("sendMessage", "400"), ("sendMessage", "403")]
    assert sandbox.faults.active == []
    with pytest.raises(ValueError, match="reason"):
        sandbox.faults.inject("sendMessage", "500", reason="no such thing")
    with pytest.raises(ValueError, match="after"):
        sandbox.faults.inject("sendMessage", "400", after=-1)


async def test_get_updates_offsets_and_allowed_updates(sandbox: Sandbox) -> None:
    alice = sandbox.user("Alice")
    await alice.send("one")
    await alice.send("two")
    _, body = await sandbox.call("getUpdates", {})
    ids = [u["update_id"] for u in body["result"]]
    assert len(ids) == 2
    _, body = await sandbox.call("getUpdates", {"offset": ids[0] + 1})
    assert [u["update_id"] for u in body["result"]] == ids[1:]
    _, body = await sandbox.call(
        "getUpdates", {"offset": ids[1] + 1, "allowed_updates": ["callback_query"]}
    )
    assert body["result"] == []
    await alice.send("three")  # filtered out: only callback queries are wanted now
    _, body = await sandbox.call("getUpdates", {"timeout": 0})
    assert body["result"] == []
    _, body = await sandbox.call("getUpdates", {"allowed_updates": []})
    await alice.send("four")
    _, body = await sandbox.call("getUpdates", {"limit": 1})
    assert body["result"][0]["message"]["text"] == "four"


async def test_long_poll_wakes_on_update(sandbox: Sandbox) -> None:
    import asyncio

    alice = sandbox.user("Alice")
    poll = asyncio.create_task(sandbox.call("getUpdates", {"timeout": 10}))
    await sandbox.wait_until(lambda: len(sandbox.requests) == 1)
    await alice.send("wake up")
    async with asyncio.timeout(2):
        status, body = await poll
    assert status == 200 and body["result"][0]["message"]["text"] == "wake up"
