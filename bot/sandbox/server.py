"""The HTTP face of the sandbox: an aiohttp server that speaks the Bot API.

Endpoints: ``GET|POST /bot<token>/<method>`` (JSON, urlencoded or multipart bodies, query
strings), ``GET /file/bot<token>/<file_path>`` (downloads), and the control API under
``/_sandbox/``. Use it as ``async with SandboxServer(sandbox) as server:`` and point
python-telegram-bot at ``f"{server.url}/bot"`` / ``f"{server.url}/file/bot"``. An address it
cannot listen on raises ``ListenError`` naming the option to change (``--port``, ``--host``).
"""

from __future__ import annotations

import asyncio
import errno
import json
import socket
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from bot.sandbox.control import add_control_routes
from bot.sandbox.faults import DropConnection
from bot.sandbox.sandbox import Sandbox
from bot.sandbox.schema import UploadedFile

__all__ = ["ListenError", "SandboxServer", "parse_request", "serve"]

MAX_BODY = 60 * 1024 * 1024
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def parse_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters and uploaded parts of a Bot API request, as the real server reads them."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return raw, files
    ctype = request.content_type
    if ctype == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        raw.update(body)
    elif ctype == "application/x-www-form-urlencoded":
        form = await request.post()
        raw.update({k: v for k, v in form.items() if isinstance(v, str)})
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data = bytes(await part.read(decode=True))
                files[part.name] = UploadedFile(
                    data, part.filename, part.headers.get(hdrs.CONTENT_TYPE)
                )
            else:
                raw[part.name] = await part.text()
    return raw, files


class ListenError(Exception):
    """The server cannot listen where asked; the message starts with the option to change."""

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")
        self.option = option


def _listen_error(exc: OSError, host: str, port: int) -> ListenError:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return ListenError("--port", f"{where} is already in use; choose another port (0: any)")
    if exc.errno == errno.EACCES:
        return ListenError("--port", f"not allowed to listen on {where} (ports below 1024)")
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return ListenError("--host", f"cannot listen on {host}: {exc.strerror or exc}")
    return ListenError("--port", f"cannot listen on {where}: {exc.strerror or exc}")


class SandboxServer:
    """Serves a ``Sandbox`` over HTTP on ``host:port`` (port 0: a free port)."""

    def __init__(
        self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0, *, control: bool = True
    ) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self._control = control
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for python-telegram-bot's ``base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """The value for python-telegram-bot's ``base_file_url``."""
        return f"{self.url}/file/bot"

    def make_app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        if self._control:
            add_control_routes(app, self.sandbox)
        return app

    async def start(self) -> None:
        """Start listening (a sandbox can be served again after a server stopped).

        ``ListenError`` when the port is out of range or taken, or the host is unknown.
        """
        if not 0 <= self.port <= 65535:
            raise ListenError("--port", f"{self.port} is out of range 0-65535 (0: any free port)")
        self.sandbox.updates.closed = False
        runner = web.AppRunner(
            self.make_app(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise _listen_error(exc, self.host, self.port) from None
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        self.sandbox.webhook.resume()

    async def stop(self) -> None:
        """Release waiting requests, stop webhook delivery and close the server."""
        await self.sandbox.aclose()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _bot_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.sandbox.bot_token:
            return web.json_response(_UNAUTHORIZED, status=401)
        try:
            raw, files = await parse_request(request)
        except (ValueError, json.JSONDecodeError) as error:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            self.sandbox.record_violation(request.match_info["method"], f"unreadable body: {error}")
            return web.json_response(body, status=400)
        try:
            status, body = await self.sandbox.call(request.match_info["method"], raw, files)
        except DropConnection:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError from None
        return web.json_response(body, status=status)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.sandbox.bot_token:
            return web.json_response(_UNAUTHORIZED, status=401)
        stored = self.sandbox.files.by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.body(), content_type=stored.mime_type or "application/octet-stream"
        )


async def serve(
    host: str = "127.0.0.1",
    port: int = 8081,
    token: str = "123456:TEST-TOKEN",
    *,
    sandbox: Sandbox | None = None,
    announce: Callable[[str], object] | None = None,
    on_ready: Callable[[SandboxServer], object] | None = None,
) -> None:
    """Run a sandbox server until cancelled (the ``disputebot sandbox`` command).

    Prints nothing itself: ``announce`` receives a line saying where it listens (pass
    ``print``), ``on_ready`` the running server.
    """
    sandbox = sandbox or Sandbox(bot_token=token)
    async with SandboxServer(sandbox, host, port) as server:
        if announce is not None:
            announce(
                f"Bot API sandbox for @{sandbox.bot_username} (token {sandbox.bot_token}) "
                f"at {server.url} "
                f"(base_url {server.base_url}, base_file_url {server.base_file_url}, "
                f"control API {server.url}/_sandbox/)"
            )
        if on_ready is not None:
            on_ready(server)
        await asyncio.Event().wait()
