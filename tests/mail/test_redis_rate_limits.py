"""Relay rate limits shared through Redis: two pools (as two worker processes would) share one relay's rate."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio
from tests.conftest import FixedClock
from tests.mail.conftest import StartServer

from mailyard import bootstrap
from mailyard.domain.letters import Letter
from mailyard.mail.redis_rate_limits import RedisRateLimiter, window_for
from mailyard.mail.relay_pool import RelayPool
from mailyard.settings import Settings
from mailyard.store import engine as engines

REDIS_URL = "redis://127.0.0.1:6379/0"
DATA = b"From: s@example.com\r\nTo: r@example.org\r\nSubject: hi\r\n\r\nhello\r\n.\r\n"
pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The test Redis server's URL, or a skip when it does not answer."""
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.exceptions.ConnectionError) as error:
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error!r}")
    finally:
        await client.aclose()
    yield REDIS_URL


@pytest.fixture
async def make_limiter(redis_url: str) -> AsyncIterator[Callable[..., RedisRateLimiter]]:
    """Limiters on a key prefix of their own, so concurrent test runs do not share windows."""
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        prefix = f"mailyard-test-{uuid.uuid4().hex[:12]}"
        made: list[RedisRateLimiter] = []

        def make(rates: list[tuple[str, float | None]]) -> RedisRateLimiter:
            made.append(RedisRateLimiter(rates, redis=client, key_prefix=prefix))
            return made[-1]

        yield make
        if made:
            await made[0].reset()
    finally:
        await client.aclose()


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


async def test_the_relays_rates_borrow_the_process_redis_client(
    start_server: StartServer, redis_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Closing the client bootstrap builds for the process closes every connection the rates opened."""
    server = start_server()
    relay = f"smtp://127.0.0.1:{server.port}?name=limited&rate=100"
    settings = Settings(data_dir=tmp_path, redis_url=redis_url, relays=relay)
    client = bootstrap.create_redis(settings.redis_url)
    engine = engines.create_engine("sqlite+aiosqlite://")  # the outbox's; relays do not use it
    mailer = bootstrap.create_mailer(settings, engine, clock, client)
    letter = Letter(
        delivery_id=1,
        task_id=1,
        account_id=1,
        envelope_from="s@example.com",
        recipient="r@example.org",
        message_id="1.1@example.com",
        data=b"Subject: hi\r\n\r\nhello\r\n",
    )
    try:
        outcome = await mailer.deliver(letter)
    finally:
        await mailer.close()
        assert client is not None
        await client.aclose()
        await engine.dispose()
    assert outcome.code == 250 and len(server.handler.messages) == 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del mailer, client
        gc.collect()
    assert [str(warning.message) for warning in caught if warning.category is ResourceWarning] == []


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

    client = redis.asyncio.Redis.from_url(f"redis://127.0.0.1:{proxy.port}/0")
    limiter = RedisRateLimiter([("r", 1000.0)], redis=client, key_prefix=f"test-{uuid.uuid4().hex}", sleep=sleep)
    try:
        await asyncio.wait_for(limiter.acquire("r"), timeout=10)
        await proxy.down()
        waiting = asyncio.create_task(limiter.acquire("r"))
        await asyncio.wait_for(paused.wait(), timeout=10)
        assert limiter.paused and not waiting.done()  # no process-local fallback: N workers would send N times
        assert "sending through rate-limited relays is paused" in caplog.text
        await proxy.up()
        await asyncio.wait_for(waiting, timeout=10)
        assert not limiter.paused and "sending resumes" in caplog.text
    finally:
        await client.aclose()
        await proxy.down()


async def test_a_burst_waits_for_the_process_redis_connections(redis_url: str) -> None:
    """A burst of commands shares at most REDIS_MAX_CONNECTIONS connections instead of opening one each (counted
    by the Redis server)."""
    client, probe = bootstrap.create_redis(redis_url), redis.asyncio.from_url(redis_url)
    assert client is not None
    key = f"mailyard-test:burst:{uuid.uuid4().hex}"
    burst = 10 * bootstrap.REDIS_MAX_CONNECTIONS
    try:
        before = len(await probe.client_list())
        counts = await asyncio.gather(*(client.incr(key) for _ in range(burst)))
        opened = len(await probe.client_list()) - before
        assert sorted(counts) == list(range(1, burst + 1))
        assert 1 <= opened <= bootstrap.REDIS_MAX_CONNECTIONS, opened
        await client.delete(key)
    finally:
        await client.aclose()
        await probe.aclose()
