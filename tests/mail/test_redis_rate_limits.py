"""Relay rate limits shared through Redis: two pools (as two worker processes would) share one relay's rate."""

from __future__ import annotations

import asyncio
import contextlib
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
    for limiter in made:
        await limiter.close()


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


class RedisProxy:
    """A TCP proxy in front of the real Redis that a test can cut and restore, as a network fault would."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self._writers += [writer, upstream_writer]

        async def copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while chunk := await source.read(65536):
                    target.write(chunk)
                    await target.drain()
            target.close()

        await asyncio.gather(copy(reader, upstream_writer), copy(upstream_reader, writer))


async def test_redis_down_pauses_sending_until_it_answers(
    make_limiter: Callable[..., RedisRateLimiter], caplog: pytest.LogCaptureFixture
) -> None:
    proxy = RedisProxy()
    await proxy.up()
    paused = asyncio.Event()

    async def sleep(seconds: float) -> None:
        paused.set()
        await asyncio.sleep(min(seconds, 0.05))

    limiter = RedisRateLimiter(
        [("r", 1000.0)],
        redis_url=f"redis://127.0.0.1:{proxy.port}/0",
        key_prefix=f"test-{uuid.uuid4().hex}",
        sleep=sleep,
    )
    await asyncio.wait_for(limiter.acquire("r"), timeout=10)
    await proxy.down()
    waiting = asyncio.create_task(limiter.acquire("r"))
    await asyncio.wait_for(paused.wait(), timeout=10)
    assert limiter.paused and not waiting.done()  # no process-local fallback: N workers would send N times
    assert "sending through rate-limited relays is paused" in caplog.text
    await proxy.up()
    await asyncio.wait_for(waiting, timeout=10)
    assert not limiter.paused and "sending resumes" in caplog.text
    await limiter.close()
    await proxy.down()
