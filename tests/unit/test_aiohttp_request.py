"""The bot's aiohttp client for the Bot API (`bot/aiohttp_request.py`): PTB's wire format,
its errors for timeouts and failures, and its timeouts honoured."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import BodyPartReader, web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.aiohttp_request import AiohttpRequest
from bot.telegram_bot import tls_context


class Seen:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Seen]]:
    seen = Seen()

    async def handle(request: web.Request) -> web.Response:
        entry: dict[str, Any] = {
            "method": request.method,
            "content_type": request.content_type,
            "agent": request.headers.get("User-Agent", ""),
        }
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            parts: dict[str, Any] = {}
            async for part in reader:
                assert isinstance(part, BodyPartReader)
                parts[part.name or ""] = (part.filename, await part.read(), part.headers)
            entry["parts"] = parts
        else:
            entry["form"] = dict(await request.post())
        seen.requests.append(entry)
        await asyncio.sleep(seen.delay)
        return web.json_response({"ok": True, "result": True}, status=200)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(connection_pool_size=4, ssl_context=tls_context(), read_timeout=5)
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


def data(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_parameters_go_as_form_fields_each_json_encoded_but_strings(
    server: tuple[str, Seen], client: AiohttpRequest
) -> None:
    url, seen = server
    markup = {"inline_keyboard": [[{"text": "Accept", "callback_data": "a:1"}]]}
    status, body = await client.do_request(
        f"{url}/bot1:T/sendMessage",
        "POST",
        data(chat_id=42, text="你好, Hans", reply_markup=markup, disable_notification=True),
    )
    assert status == 200 and json.loads(body) == {"ok": True, "result": True}
    [entry] = seen.requests
    assert entry["content_type"] == "application/x-www-form-urlencoded"
    assert entry["form"] == {
        "chat_id": "42",
        "text": "你好, Hans",
        "reply_markup": json.dumps(markup),
        "disable_notification": "true",
    }
    assert entry["agent"] == AiohttpRequest.USER_AGENT


async def test_a_file_goes_as_multipart_with_its_name_and_type(
    server: tuple[str, Seen], client: AiohttpRequest
) -> None:
    url, seen = server
    upload = InputFile(b"%PDF-1.7 case file", filename="case-12.pdf", attach=True)
    await client.do_request(
        f"{url}/bot1:T/sendDocument", "POST", data(chat_id=7, document=upload, caption="Fall 12")
    )
    [entry] = seen.requests
    assert entry["content_type"] == "multipart/form-data"
    parts = entry["parts"]
    assert parts["chat_id"][1] == b"7" and parts["caption"][1] == b"Fall 12"
    [(name, (filename, content, headers))] = [(k, v) for k, v in parts.items() if v[0] is not None]
    assert parts["document"][1].decode() == f"attach://{name}"
    assert filename == "case-12.pdf" and content == b"%PDF-1.7 case file"
    assert headers["Content-Type"] == "application/pdf"


async def test_a_get_without_parameters_sends_no_body(
    server: tuple[str, Seen], client: AiohttpRequest
) -> None:
    url, seen = server
    status, _ = await client.do_request(f"{url}/file/bot1:T/photos/1.jpg", "GET")
    assert status == 200 and seen.requests[0]["method"] == "GET"


async def test_a_slow_answer_is_ptbs_timed_out(
    server: tuple[str, Seen], client: AiohttpRequest
) -> None:
    url, seen = server
    seen.delay = 2.0
    with pytest.raises(TimedOut):
        await client.do_request(f"{url}/bot1:T/getMe", "POST", read_timeout=0.2)


async def test_a_refused_connection_is_ptbs_network_error(client: AiohttpRequest) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NetworkError) as raised:
        await client.do_request(f"http://127.0.0.1:{port}/bot1:T/getMe", "POST")
    assert not isinstance(raised.value, TimedOut)
    assert str(raised.value).startswith("aiohttp.")


async def test_a_full_pool_waits_no_longer_than_the_pool_timeout(
    server: tuple[str, Seen],
) -> None:
    url, seen = server
    seen.delay = 1.5
    request = AiohttpRequest(
        connection_pool_size=1, ssl_context=tls_context(), pool_timeout=0.1, connect_timeout=0.1
    )
    await request.initialize()
    try:
        busy = asyncio.create_task(request.do_request(f"{url}/bot1:T/a", "POST"))
        await asyncio.sleep(0.3)  # the one connection is taken
        with pytest.raises(TimedOut):
            await request.do_request(f"{url}/bot1:T/b", "POST")
        assert (await busy)[0] == 200
    finally:
        await request.shutdown()


async def test_a_request_after_shutdown_is_refused_and_initialize_opens_again(
    server: tuple[str, Seen], client: AiohttpRequest
) -> None:
    url, _ = server
    await client.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await client.do_request(f"{url}/bot1:T/getMe", "POST")
    await client.initialize()
    assert (await client.do_request(f"{url}/bot1:T/getMe", "POST"))[0] == 200
