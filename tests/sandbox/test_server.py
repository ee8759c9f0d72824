"""The sandbox's HTTP server refuses an address it cannot listen on, naming the option."""

from __future__ import annotations

import socket

import httpx
import pytest

from bot.sandbox import ListenError, Sandbox, SandboxServer


@pytest.mark.parametrize("port", [-1, 65536])
async def test_a_port_out_of_range_is_refused(sandbox: Sandbox, port: int) -> None:
    with pytest.raises(ListenError, match=r"^--port: .* out of range 0-65535") as error:
        await SandboxServer(sandbox, port=port).start()
    assert error.value.option == "--port"


async def test_a_taken_port_is_refused_and_the_sandbox_can_be_served_elsewhere(
    sandbox: Sandbox,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ListenError, match=f"^--port: 127.0.0.1:{port} is already in use"):
            await SandboxServer(sandbox, port=port).start()
    async with SandboxServer(sandbox) as server, httpx.AsyncClient() as client:
        answer = (await client.get(f"{server.base_url}{sandbox.bot_token}/getMe")).json()
    assert answer["ok"] is True


async def test_a_host_that_is_not_this_machine_is_refused(sandbox: Sandbox) -> None:
    # 192.0.2.1 (TEST-NET-1) is on no interface here: binding fails at once, no DNS involved.
    with pytest.raises(ListenError, match=r"^--host: cannot listen on 192\.0\.2\.1"):
        await SandboxServer(sandbox, host="192.0.2.1").start()
