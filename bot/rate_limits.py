"""Telegram's rate limits for every worker together: 30 messages a second overall, one a second
per private chat (after a burst of three), 20 a minute per group (the settings
`RATE_LIMIT_PER_SECOND`, `RATE_LIMIT_PRIVATE_PER_SECOND`, `RATE_LIMIT_GROUP_PER_MINUTE`).

Each request that names a chat takes a place in two windows at once, the bot's and the chat's
(a private chat's or a group's), or waits until both have room. A window lets its `count`
through at once and then one every `period / count` (a leaky bucket, as Telegram measures and
as PTB's own limiter did), computed by GCRA: one number per window. Where the windows live:

- `LocalWindows`: in this process (one worker, SQLite: no Redis needed).
- `RedisWindows` (`RATE_LIMIT_REDIS_URL`): in Redis, shared by every worker. One Lua script
  checks and takes both places atomically on Redis' own clock, in one round trip; each window
  is one key that expires by itself. Redis rather than PostgreSQL: every outgoing message
  would otherwise be a write transaction on one hot row of the database the cases live in,
  serialising all workers' sends behind row locks. If Redis cannot be reached, the worker says
  so in the log and counts in its own process until Redis answers again (limits then hold per
  worker, as before), so a Redis outage never stops the bot.

A 429 from Telegram (`RetryAfter`) is still waited out and retried, `max_retries` times.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = ["LocalWindows", "RedisWindows", "SharedRateLimiter", "Window", "Windows"]

log = logging.getLogger(__name__)

JSON = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class Window:
    """`count` requests per `period` seconds for `key`: a burst of `count` at once, then one
    every `period / count` seconds (a leaky bucket, as GCRA computes it: each window is only
    its theoretical arrival time, the moment it would be empty again)."""

    key: str
    count: int
    period: float

    @property
    def interval(self) -> float:
        return self.period / self.count

    @property
    def tolerance(self) -> float:
        return self.period - self.interval

    @classmethod
    def of(cls, key: str, rate: float, per: float) -> Window:
        """`rate` requests per `per` seconds as a whole count over a (maybe longer) period."""
        count = max(1, int(rate))
        return cls(key, count, per * count / rate)


class Windows(Protocol):
    async def take(self, windows: Sequence[Window]) -> float:
        """Take a place in every window, or none: 0, or the seconds to wait before trying."""

    async def close(self) -> None: ...


class LocalWindows:
    """The windows in this process's memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tat: dict[str, float] = {}  # each window's theoretical arrival time

    async def take(self, windows: Sequence[Window]) -> float:
        now = self._clock()
        wait = 0.0
        following: list[float] = []
        for window in windows:
            tat = max(self._tat.get(window.key, now), now)
            following.append(tat + window.interval)
            wait = max(wait, tat - window.tolerance - now)
        if wait > 1e-9:  # (not float rounding)
            return wait
        for window, tat in zip(windows, following, strict=True):
            self._tat[window.key] = tat
        if len(self._tat) > 4096:  # forget the windows that are empty again
            for key in [k for k, tat in self._tat.items() if tat <= now]:
                del self._tat[key]
        return 0.0

    async def close(self) -> None:
        return None


# GCRA, as `LocalWindows.take`, for every key at once. KEYS: the windows; ARGV: per key its
# interval and its period (microseconds). Each key holds its theoretical arrival time.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local following = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then
    tat = now
  end
  following[i] = tat + interval
  local over = tat - (period - interval) - now
  if over > wait then
    wait = over
  end
end
if wait > 0 then
  return wait
end
for i, key in ipairs(KEYS) do
  local ttl = math.ceil(tonumber(ARGV[2 * i]) / 1000) + 1000
  redis.call('SET', key, string.format('%.0f', following[i]), 'PX', ttl)
end
return 0
"""


class RedisWindows:
    """Sliding windows in Redis, shared by every worker (see the module docstring)."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis  # only a worker that is given a Redis URL needs it

        self._redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._redis.register_script(_TAKE)
        self._local = LocalWindows()
        self._down = False

    async def take(self, windows: Sequence[Window]) -> float:
        args: list[int] = []
        for window in windows:
            args += [int(window.interval * 1_000_000), int(window.period * 1_000_000)]
        try:
            micros = await self._script(keys=[w.key for w in windows], args=args)
        except Exception as exc:  # redis' errors and OSError: count here until it answers
            if not self._down:
                self._down = True
                log.warning("rate limits counted in this worker only: Redis unreachable: %s", exc)
            return await self._local.take(windows)
        if self._down:
            self._down = False
            log.info("rate limits shared through Redis again")
        return float(micros) / 1_000_000

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._redis.aclose()


class SharedRateLimiter(BaseRateLimiter[int]):
    """PTB's rate limiter hook, counting in `windows` (local or shared)."""

    def __init__(
        self,
        windows: Windows,
        *,
        prefix: str,
        overall_per_second: float,
        private_per_second: float,
        group_per_minute: float,
        max_retries: int = 5,
    ) -> None:
        self._windows = windows
        self._prefix = prefix
        self._overall = overall_per_second
        self._private = private_per_second
        self._group = group_per_minute
        self._max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        await self._windows.close()

    def windows_for(self, data: dict[str, Any]) -> list[Window]:
        """The windows a request with these parameters takes a place in (none: no chat)."""
        chat = data.get("chat_id")
        if chat is None:
            return []
        with contextlib.suppress(ValueError, TypeError):
            chat = int(chat)
        windows = [Window.of(f"{self._prefix}:all", self._overall, 1)]
        if isinstance(chat, int) and chat > 0:
            # Telegram lets a private chat have a short burst: three at once, then the pace.
            windows.append(Window.of(f"{self._prefix}:chat:{chat}", self._private * 3, 3))
        else:  # a group, a supergroup or a channel (@name)
            windows.append(Window.of(f"{self._prefix}:chat:{chat}", self._group, 60))
        return windows

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        windows = self.windows_for(data)
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            await self._turn(windows)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                pause = exc.retry_after
                seconds = pause if isinstance(pause, int | float) else pause.total_seconds()
                log.info("%s: Telegram asked to wait %.1f s; retrying", endpoint, seconds)
                await asyncio.sleep(seconds + 0.1)
        raise AssertionError("unreachable")

    async def _turn(self, windows: Sequence[Window]) -> None:
        """Wait until every window has room, and take it (the wait is what the window says)."""
        for _ in itertools.count():
            if not windows or (wait := await self._windows.take(windows)) <= 0:
                return
            await asyncio.sleep(wait)
