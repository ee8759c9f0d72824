"""The bot's Telegram client: PTB's `ExtBot` that also remembers which button press it answered.

A button press may be answered once. The error handler must know whether the handler that
crashed had already answered it: if not, the apology is the answer (an alert); if so, a second
answer fails ("query is too old") and the user would see nothing, so the apology goes out as a
message. Asking Telegram (answer, catch the failure, then send) also works, but it costs a
request that is meant to fail and relies on the wording of an error; knowing is simpler. The
error handler still falls back to a message when an answer fails, for the press answered by a
request whose reply was lost (a timeout after Telegram took it).

It also tells `recorder` (set at start-up: `storage/repos/buttons.py`) which message it sent or
edited with which inline buttons, so buttons that no longer apply can be taken off later
(`bot/buttons_off.py`), whichever flow sent them. A failure to record is logged, never the send's.

The flag is a context variable: PTB handles each update in a task of its own, and the error
handler runs in that task, so the flag is per update without any bookkeeping.
"""

from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import httpx
from telegram import InlineKeyboardMarkup, Message
from telegram.ext import ExtBot

from bot.aiohttp_request import AiohttpRequest
from bot.config import Settings
from bot.rate_limits import LocalWindows, RedisWindows, SharedRateLimiter, Windows

log = logging.getLogger(__name__)

# recorder(chat id, message id, rows of (label, callback data or link), edited): what the
# message shows now (no rows: none left), and whether it was edited rather than sent.
Recorder = Callable[[int, int, list[list[tuple[str, str]]], bool], Awaitable[None]]

_answered: ContextVar[str | None] = ContextVar("answered_callback_query", default=None)

# Connections to the Bot API for sending, and a separate small pool for long polling (two, so
# stopping never waits for a poll to time out). 32 carry far more than Telegram's 30 messages a
# second; a request finding all of them busy waits for one, up to POOL_TIMEOUT seconds.
CONNECTION_POOL_SIZE = 32
POOL_TIMEOUT = 10.0
GET_UPDATES_POOL_SIZE = 2


class DisputeBot(ExtBot[Any]):
    """`ExtBot` that notes, for the update being handled, the press it answered, and which
    message shows which buttons."""

    _recorder: Recorder | None = None  # "_": PTB freezes the bot's public attributes

    def record_buttons_with(self, recorder: Recorder) -> None:
        self._recorder = recorder

    async def answer_callback_query(
        self, callback_query_id: str, *args: Any, **kwargs: Any
    ) -> bool:
        answered = await super().answer_callback_query(callback_query_id, *args, **kwargs)
        _answered.set(callback_query_id)
        return answered

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        sent = await super().send_message(*args, **kwargs)
        markup = kwargs.get("reply_markup")
        if isinstance(markup, InlineKeyboardMarkup):
            await self._record(sent.chat_id, sent.message_id, markup, edited=False)
        return sent

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        edited = await super().edit_message_text(*args, **kwargs)
        await self._record_edit(edited, kwargs.get("reply_markup"))
        return edited

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        edited = await super().edit_message_reply_markup(*args, **kwargs)
        await self._record_edit(edited, kwargs.get("reply_markup"))
        return edited

    async def _record_edit(self, edited: Message | bool, markup: object) -> None:
        # An edit without a keyboard takes the message's keyboard off (as Telegram does).
        if isinstance(edited, Message):
            keyboard = markup if isinstance(markup, InlineKeyboardMarkup) else None
            await self._record(edited.chat_id, edited.message_id, keyboard, edited=True)

    async def _record(
        self,
        chat_id: int,
        message_id: int,
        markup: InlineKeyboardMarkup | None,
        *,
        edited: bool,
    ) -> None:
        if self._recorder is None:
            return
        rows = [
            [(b.text, str(b.callback_data or b.url or "")) for b in line]
            for line in (markup.inline_keyboard if markup is not None else ())
        ]
        try:
            await self._recorder(chat_id, message_id, [line for line in rows if line], edited)
        except Exception:
            log.exception("could not record the buttons of message %s in %s", message_id, chat_id)


def was_answered(callback_query_id: str) -> bool:
    """Whether this press was answered while its update was being handled."""
    return _answered.get() == callback_query_id


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for the process's HTTP clients, as httpx makes it by default (certifi's
    CA bundle, SSL_CERT_FILE honoured): reading and parsing the bundle costs about 0.1 s of CPU,
    and a bot start has two clients."""
    return httpx.create_ssl_context()


def build_bot(settings: Settings, token: str) -> DisputeBot:
    """The client the application uses: the configured API server and rate limits."""
    return DisputeBot(
        token,
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_file_base_url,
        request=AiohttpRequest(
            connection_pool_size=CONNECTION_POOL_SIZE,
            pool_timeout=POOL_TIMEOUT,
            ssl_context=tls_context(),
        ),
        get_updates_request=AiohttpRequest(
            connection_pool_size=GET_UPDATES_POOL_SIZE, ssl_context=tls_context()
        ),
        rate_limiter=rate_limiter(settings, token),
    )


def rate_limiter(settings: Settings, token: str) -> SharedRateLimiter:
    """Telegram's limits, counted in Redis for all workers when RATE_LIMIT_REDIS_URL is set."""
    url = settings.rate_limit_redis_url
    windows: Windows = RedisWindows(url) if url is not None else LocalWindows()
    return SharedRateLimiter(
        windows,
        prefix=f"disputebot:rate:{token.split(':')[0]}",
        overall_per_second=settings.rate_limit_per_second,
        private_per_second=settings.rate_limit_private_per_second,
        group_per_minute=settings.rate_limit_group_per_minute,
        max_retries=5,
    )
