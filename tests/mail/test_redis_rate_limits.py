"""Relay rate limits shared through Redis: two pools (as two worker processes would) share one relay's rate."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio
from tests.mail.conftest import StartServer

from mailyard.mail.redis_rate_limits import RedisRateLimiter, window_for
from mailyard.mail.relay_pool import RelayPool

REDIS_URL = "redis://127.0.0.1:6379/0"
DATA = b"From: s@example.com\r\nTo: r@example.org\r\nSubject: hi\r\n\r\nhello\r\n.\r\n"
pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def make_limiter() -> AsyncIterator[Callable[..., RedisRateLimiter]]:
    """Limiters on a key prefix of their own, so concurrent test runs do not share windows."""
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.exceptions.ConnectionError) as error:
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error!r}")
    finally:
        await client.aclose()
    prefix = f"mailyard-test-{uuid.uuid4().hex[:12]}"
    made: list[RedisRateLimiter] = []

    def make(rates: list[tuple[str, float | None]]) -> RedisRateLimiter:
        made.append(RedisRateLimiter(rates, redis_url=REDIS_URL, key_prefix=prefix))
        return made[-1]

    yield make
    if made:
        await made[0].reset()


def test_rates_become_whole_windows() -> None:
    assert (window_for(200).amount, window_for(200).multiples) == (200, 1)
    assert (window_for(2.7).amount, window_for(2.7).multiples) == (2, 1)  # never faster than asked
    assert (window_for(0.25).amount, window_for(0.25).multiples) == (1, 4)


async def test_two_pools_share_one_rate(
    start_server: StartServer, make_limiter: Callable[..., RedisRateLimiter]
) -> None:
    server = start_server()
    relay = server.relay(name="shared", rate=20.0, connections=8)
    pools = [RelayPool([relay], limiter=make_limiter([(relay.name, relay.rate)])) for _ in range(2)]
    try:
        started = time.monotonic()
        # 2 x 30 messages at 20/s shared: three windows, so at least two seconds; alone each pool needs ~1 s.
        sends = [pool.deliver("s@example.com", "r@example.org", DATA) for pool in pools for _ in range(30)]
        outcomes = await asyncio.gather(*sends)
        elapsed = time.monotonic() - started
    finally:
        for pool in pools:
            await pool.close()
    assert all(outcome.code == 250 for outcome in outcomes)
    assert elapsed >= 1.9, elapsed
    assert elapsed < 6, elapsed


async def test_unlimited_relays_never_wait(make_limiter: Callable[..., RedisRateLimiter]) -> None:
    limiter = make_limiter([("free", None)])
    started = time.monotonic()
    for _ in range(100):
        await limiter.acquire("free")
    assert time.monotonic() - started < 0.5


async def test_redis_down_falls_back_to_the_process_limit() -> None:
    limiter = RedisRateLimiter([("r", 1000.0)], redis_url="redis://127.0.0.1:1/0")
    await asyncio.wait_for(limiter.acquire("r"), timeout=10)
