"""20 requests/s per action per account, in memory and in Redis (spec 1.1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from mailyard.web.guards.throttle import ActionThrottle

pytestmark = pytest.mark.timeout(20)

REDIS_URL = os.environ.get("MAILYARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def burst(throttle: ActionThrottle, account: str, action: str, count: int) -> list[bool]:
    return [await throttle.allow(account, action) for _ in range(count)]


@pytest.fixture(params=["memory", "redis"])
async def throttle(request: pytest.FixtureRequest) -> AsyncIterator[ActionThrottle]:
    if request.param == "memory":
        yield ActionThrottle()
        return
    # A key prefix of its own keeps concurrent runs against one Redis apart.
    client = redis.asyncio.from_url(REDIS_URL)
    shared = ActionThrottle(redis=client, key_prefix=f"mailyard-test-{uuid.uuid4().hex}")
    yield shared
    await shared.reset()
    await shared.close()
    await client.aclose()


async def test_twenty_per_second_then_refused(throttle: ActionThrottle) -> None:
    results = await burst(throttle, "account-1", "SendEmail", 21)
    assert results[:20] == [True] * 20
    assert results[20] is False


async def test_counts_are_per_action_and_per_account(throttle: ActionThrottle) -> None:
    await burst(throttle, "account-1", "SendEmail", 20)
    assert await throttle.allow("account-1", "SendEmail") is False
    assert await throttle.allow("account-1", "BatchSendEmail") is True
    assert await throttle.allow("account-2", "SendEmail") is True


async def test_redis_counts_are_shared_between_processes() -> None:
    prefix = f"mailyard-test-{uuid.uuid4().hex}"
    clients = [redis.asyncio.from_url(REDIS_URL), redis.asyncio.from_url(REDIS_URL)]
    first, second = (ActionThrottle(redis=client, key_prefix=prefix, per_second=3) for client in clients)
    try:
        assert await burst(first, "account-1", "SendEmail", 2) == [True, True]
        assert await burst(second, "account-1", "SendEmail", 2) == [True, False]
    finally:
        await first.reset()
        await first.close()
        await second.close()
        for client in clients:
            await client.aclose()


async def test_unreachable_redis_lets_requests_through() -> None:
    client = redis.asyncio.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1, retry=None)
    throttle = ActionThrottle(redis=client, per_second=1)
    assert await burst(throttle, "account-1", "SendEmail", 3) == [True, True, True]
    await throttle.close()


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ActionThrottle(per_second=0)
