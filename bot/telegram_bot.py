"""The bot's Telegram client: PTB's `ExtBot` that also remembers which button press it answered.

A button press may be answered once. The error handler must know whether the handler that
crashed had already answered it: if not, the apology is the answer (an alert); if so, a second
answer fails ("query is too old") and the user would see nothing, so the apology goes out as a
message. Asking Telegram (answer, catch the failure, then send) also works, but it costs a
request that is meant to fail and relies on the wording of an error; knowing is simpler. The
error handler still falls back to a message when an answer fails, for the press answered by a
request whose reply was lost (a timeout after Telegram took it).

The flag is a context variable: PTB handles each update in a task of its own, and the error
handler runs in that task, so the flag is per update without any bookkeeping.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.rate_limits import LocalWindows, RedisWindows, SharedRateLimiter, Windows

_answered: ContextVar[str | None] = ContextVar("answered_callback_query", default=None)

# PTB's defaults when the builder makes the requests: many concurrent sends, and a separate
# small pool for long polling (two, so stopping never waits for a poll to time out).
CONNECTION_POOL_SIZE = 256
GET_UPDATES_POOL_SIZE = 2


class DisputeBot(ExtBot[Any]):
    """`ExtBot` that notes, for the update being handled, the press it answered."""

    async def answer_callback_query(
        self, callback_query_id: str, *args: Any, **kwargs: Any
    ) -> bool:
        answered = await super().answer_callback_query(callback_query_id, *args, **kwargs)
        _answered.set(callback_query_id)
        return answered


def was_answered(callback_query_id: str) -> bool:
    """Whether this press was answered while its update was being handled."""
    return _answered.get() == callback_query_id


def build_bot(settings: Settings, token: str) -> DisputeBot:
    """The client the application uses: the configured API server and rate limits."""
    return DisputeBot(
        token,
        base_url=settings.bot_base_url,
        base_file_url=settings.bot_file_base_url,
        request=HTTPXRequest(connection_pool_size=CONNECTION_POOL_SIZE),
        get_updates_request=HTTPXRequest(connection_pool_size=GET_UPDATES_POOL_SIZE),
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
