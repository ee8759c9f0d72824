"""Rate limits counted for every worker together (Redis) or in one process (no Redis)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from typing import Any

import pytest

from bot.rate_limits import LocalWindows, RedisWindows, SharedRateLimiter, Window

REDIS_URL = os.environ.get("DISPUTEBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_local_window_a_burst_then_an_even_pace() -> None:
    clock = FakeClock()
    windows = LocalWindows(clock)
    w = [Window("all", 3, 1.0)]
    assert [await windows.take(w) for _ in range(3)] == [0, 0, 0]  # the burst
    assert await windows.take(w) == pytest.approx(1 / 3)  # then one every third of a second
    clock.now += 0.2
    assert await windows.take(w) == pytest.approx(1 / 3 - 0.2)
    clock.now += 1 / 3 - 0.2
    assert await windows.take(w) == 0
    assert await windows.take(w) == pytest.approx(1 / 3)
    clock.now += 10  # idle: the whole burst is back
    assert [await windows.take(w) for _ in range(3)] == [0, 0, 0]


def test_twenty_a_minute_in_a_group_is_one_every_three_seconds_after_the_burst() -> None:
    window = Window.of("g", 20, 60)
    assert (window.count, window.interval, window.tolerance) == (20, 3.0, 57.0)


async def test_both_windows_or_none() -> None:
    windows = LocalWindows(FakeClock())
    overall, chat = Window("all", 10, 1.0), Window("chat:1", 1, 1.0)
    assert await windows.take([overall, chat]) == 0
    assert await windows.take([overall, chat]) > 0  # the chat is full: the overall place stays
    for _ in range(9):
        assert await windows.take([overall]) == 0


def test_windows_of_a_request() -> None:
    limiter = SharedRateLimiter(
        LocalWindows(),
        prefix="p",
        overall_per_second=30,
        private_per_second=1,
        group_per_minute=20,
    )
    assert limiter.windows_for({"chat_id": 5}) == [
        Window("p:all", 30, 1),
        Window("p:chat:5", 3, 3),  # a burst of three, then one a second
    ]
    assert limiter.windows_for({"chat_id": "-100"}) == [
        Window("p:all", 30, 1),
        Window("p:chat:-100", 20, 60),
    ]
    assert limiter.windows_for({"callback_query_id": "1"}) == []  # an answer to a press
    assert Window.of("k", 0.5, 1) == Window("k", 1, 2.0)


async def _redis_or_skip() -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Redis is unusable at {REDIS_URL}: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    finally:
        await client.aclose()


async def test_two_workers_share_one_window_in_redis() -> None:
    await _redis_or_skip()
    prefix = f"test:{uuid.uuid4().hex}"
    first, second = RedisWindows(REDIS_URL), RedisWindows(REDIS_URL)  # two processes' clients
    try:
        w = [Window(f"{prefix}:all", 5, 2.0)]
        granted = [await (first if n % 2 else second).take(w) == 0 for n in range(8)]
        assert granted == [True] * 5 + [False] * 3  # the burst, over both workers
        wait = await first.take(w)
        assert 0.2 < wait <= 0.4  # then one every 0.4 s
    finally:
        await first.close()
        await second.close()


async def test_one_private_chat_one_message_a_second_over_two_workers() -> None:
    await _redis_or_skip()
    prefix = f"test:{uuid.uuid4().hex}"
    limiters = [
        SharedRateLimiter(
            RedisWindows(REDIS_URL),
            prefix=prefix,
            overall_per_second=30,
            private_per_second=2,
            group_per_minute=20,
        )
        for _ in range(2)
    ]
    sent: list[float] = []

    async def send(**_: Any) -> bool:
        sent.append(time.monotonic())
        return True

    start = time.monotonic()
    await asyncio.gather(
        *(
            limiters[n % 2].process_request(send, (), {}, "sendMessage", {"chat_id": 7}, None)
            for n in range(8)
        )
    )
    # 2 a second per chat, over both workers: a burst of six, then one every half second
    assert time.monotonic() - start >= 0.9
    assert len(sent) == 8
    assert sent[5] - sent[0] < 0.4 and sent[7] - sent[5] >= 0.9
    for limiter in limiters:
        await limiter.shutdown()


async def test_without_redis_the_worker_counts_alone(caplog: pytest.LogCaptureFixture) -> None:
    windows = RedisWindows("redis://127.0.0.1:1/0")  # nothing listens there
    w = [Window("all", 2, 1.0)]
    with caplog.at_level(logging.WARNING, logger="bot.rate_limits"):
        assert await windows.take(w) == 0
        assert await windows.take(w) == 0
        assert await windows.take(w) > 0  # still limited, in this process
    assert "rate limits counted in this worker only: Redis unreachable" in caplog.text
    assert caplog.text.count("Redis unreachable") == 1  # said once, not per message
    await windows.close()
