"""With MAILYARD_REDIS_URL the submission limits hold across processes: two listeners (two runtimes, each with
its own Redis client, as two `mailyard serve` processes have) share the failed-login throttling, the rate per
account and the hourly limit per sender and recipient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from tests.conftest import FixedClock, without_redis
from tests.smtpd.submission.conftest import Submission
from tests.smtpd.submission.test_submission_smtp import message, starttls_plain
from tests.web.conftest import REDIS_URL

from mailyard import bootstrap
from mailyard.settings import Settings
from mailyard.smtpd.listener import bound_port
from mailyard.system.redis_counts import DEFAULT_KEY_PREFIX

pytestmark = pytest.mark.timeout(120)


async def _forget_counts() -> None:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (RedisError, OSError):
        without_redis(f"no Redis at {REDIS_URL}")
    try:
        keys = [key async for key in client.scan_iter(match=f"{DEFAULT_KEY_PREFIX}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def two_listeners(
    settings: Settings, submission: Submission, clock: FixedClock
) -> AsyncIterator[list[Submission]]:
    """Two runtimes sharing the database and Redis, each serving its own submission listener."""
    await _forget_counts()
    shared = settings.model_copy(update={"redis_url": REDIS_URL, "submission_smtps": "off"})
    opened: list[Submission] = []
    try:
        for _ in range(2):
            process = await bootstrap.open_runtime(shared, clock=clock, upgrade_schema=False)
            listeners = await bootstrap.start_submission(process)
            opened.append(Submission(listeners, process, submission.principal))
        assert opened[0].runtime.redis is not opened[1].runtime.redis
        yield opened
    finally:
        for each in opened:
            await each.listeners.close()
            await each.runtime.close()
        await _forget_counts()


async def test_failed_logins_on_one_process_lock_the_address_on_the_other(
    two_listeners: list[Submission], clock: FixedClock
) -> None:
    first, second = two_listeners
    for attempt in range(10):  # five on each: neither process alone reaches the limit of ten
        code, _ = await asyncio.to_thread(starttls_plain, two_listeners[attempt % 2], message(), password="wrong")
        assert code == 535
    code, reply = await asyncio.to_thread(starttls_plain, first, message())
    assert code == 454, reply
    code, reply = await asyncio.to_thread(starttls_plain, second, message())
    assert code == 454, reply
    clock.advance(minutes=16)
    code, _ = await asyncio.to_thread(starttls_plain, second, message())
    assert code == 250


async def test_rates_are_counted_across_processes(two_listeners: list[Submission]) -> None:
    one = ["ann@example.org"]
    for attempt in range(10):  # ten an hour from one sender to one recipient, five through each listener
        code, reply = await asyncio.to_thread(starttls_plain, two_listeners[attempt % 2], message(), recipients=one)
        assert code == 250, reply
    code, reply = await asyncio.to_thread(starttls_plain, two_listeners[0], message(), recipients=one)
    assert (code, reply[:5]) == (451, "4.7.1")
    for index in range(10):  # twenty a second per account: the clock stands still
        others = [f"r{index}@example.org"]
        code, _ = await asyncio.to_thread(starttls_plain, two_listeners[index % 2], message(), recipients=others)
        assert code == 250
    code, reply = await asyncio.to_thread(starttls_plain, two_listeners[1], message(), recipients=["z@example.org"])
    assert (code, reply[:5]) == (451, "4.7.1")


async def test_without_redis_each_process_counts_alone(submission: Submission, settings: Settings, clock: Any) -> None:
    """The counts live in the process when no Redis is configured (the default), as before."""
    assert submission.runtime.redis is None
    for _ in range(10):
        code, _ = await asyncio.to_thread(starttls_plain, submission, message(), password="wrong")
        assert code == 535
    code, _ = await asyncio.to_thread(starttls_plain, submission, message())
    assert code == 454
    other = await bootstrap.open_runtime(settings.model_copy(update={"submission_smtps": "off"}), clock=clock)
    listeners = await bootstrap.start_submission(other)
    try:
        port = bound_port(listeners.servers[0])
        assert port != submission.port
        code, _ = await asyncio.to_thread(starttls_plain, Submission(listeners, other, submission.principal), message())
        assert code == 250
    finally:
        await listeners.close()
        await other.close()


async def test_while_redis_is_unreachable_the_process_counts_alone(clock: FixedClock) -> None:
    from datetime import timedelta

    from mailyard.domain.submissions import LimitWindow
    from mailyard.system.redis_counts import RedisCounts

    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5, retry=None)
    counts, window = RedisCounts(client), LimitWindow("test", 2, timedelta(seconds=1))
    try:
        assert await counts.take([(window, "a")], clock.now()) is None
        await counts.add(window, "a", clock.now())
        assert counts.unreachable and await counts.full(window, "a", clock.now())
        assert await counts.take([(window, "b"), (window, "a")], clock.now()) == 1
    finally:
        await client.aclose()
