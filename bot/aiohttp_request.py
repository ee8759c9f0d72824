"""The bot's HTTP client for the Bot API: python-telegram-bot's `BaseRequest` over aiohttp.

PTB's documented way to use another HTTP library is a `BaseRequest` subclass; PTB keeps
everything else (building the request's parameters, reading Telegram's answer, errors,
retries). Why not PTB's own `HTTPXRequest`: per request, httpx with httpcore, anyio and h11
cost the bot about 2.5 ms of CPU on this machine, most of it httpcore's connection pool, which
looks at every connection whenever a request starts or ends. aiohttp's client did the same
request in well under a millisecond (`python -m tests.bench.updates`, README "Speed and
memory"): a /help answered for 3.6 ms of CPU instead of 8.5. aiohttp was already a dependency of
the sandbox.

The same wire format as PTB's default: form fields (each value JSON-encoded, strings as they
are), multipart when files are sent. Timeouts map to aiohttp's as follows:

- connect + pool: `connect` (aiohttp counts waiting for a free connection of the pool and
  opening a new one as one span), `connect` alone: `sock_connect`;
- read: `sock_read`, the longest wait for the next bytes of the answer (PTB adds a long poll's
  own timeout to it);
- write: aiohttp has no timeout for writing the body. A request is bounded overall by the sum
  of the four, which only ever ends a request that hangs (an upload of a few MB and its answer
  take far less, a long poll's read timeout is in the sum).

A timeout raises PTB's `TimedOut`, any other failure of the client PTB's `NetworkError`,
exactly as with `HTTPXRequest`, so PTB's and the bot's handling of them is unchanged.
"""

from __future__ import annotations

import ssl

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of `connection_pool_size` connections."""

    __slots__ = (
        "_connect",
        "_media_write",
        "_pool",
        "_read",
        "_session",
        "_size",
        "_ssl",
        "_write",
    )

    def __init__(
        self,
        *,
        connection_pool_size: int,
        ssl_context: ssl.SSLContext,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 1.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._size = connection_pool_size
        self._ssl = ssl_context
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._size, ssl=self._ssl),
                headers={"User-Agent": self.USER_AGENT},
                # PTB reads the body itself and raises its own errors for each status.
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data is not None and request_data.contains_files
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            total=_sum(connect, pool, write, read),
            connect=_sum(connect, pool),
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are asyncio's
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The request's body: form fields, or multipart with the files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields or None
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


def _given(value: float | object | None, default: float | None) -> float | None:
    """A timeout the call gave (None: no limit), or the default for PTB's "not given"."""
    if isinstance(value, (int, float)) or value is None:
        return value
    return default


def _sum(*parts: float | None) -> float | None:
    """The sum of timeouts; no limit when any of them has none."""
    if any(part is None for part in parts):
        return None
    return sum(part for part in parts if part is not None)
