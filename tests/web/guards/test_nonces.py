"""The replay guards: in memory, and in Redis shared by separate guard instances."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from mailyard.web.guards.nonces import (
    KeyOverNonceLimit,
    MemoryNonceGuard,
    NonceGuardUnavailable,
    RedisNonceGuard,
)

pytestmark = pytest.mark.timeout(10)


async def test_memory_guard_refuses_a_nonce_seen_within_its_ttl():
    guard = MemoryNonceGuard()
    assert await guard.claim("ak", "n1", now=1000.0, ttl=900.0)
    assert not await guard.claim("ak", "n1", now=1899.0, ttl=900.0)
    assert await guard.claim("ak", "n2", now=1899.0, ttl=900.0)


async def test_memory_guard_forgets_expired_nonces():
    guard = MemoryNonceGuard()
    assert await guard.claim("ak", "n1", now=1000.0, ttl=10.0)
    assert await guard.claim("ak", "n1", now=1010.0, ttl=10.0)  # expired: may be claimed again
    assert len(guard) == 1
    assert not await guard.claim("ak", "n1", now=1015.0, ttl=10.0)


async def test_memory_guard_is_bounded_and_never_evicts_a_live_nonce():
    guard = MemoryNonceGuard(capacity=2)
    assert await guard.claim("ak", "a", now=0.0, ttl=10.0)
    assert await guard.claim("ak", "b", now=0.0, ttl=20.0)
    with pytest.raises(NonceGuardUnavailable):
        await guard.claim("ak", "c", now=5.0, ttl=10.0)
    assert not await guard.claim("ak", "a", now=5.0, ttl=10.0)  # still remembered
    assert await guard.claim("ak", "c", now=10.0, ttl=10.0)  # 'a' expired, room again
    assert len(guard) == 2


async def test_a_key_at_its_limit_refuses_only_its_own_claims():
    guard = MemoryNonceGuard(capacity=100, capacity_per_key=2)
    assert await guard.claim("greedy", "1", now=0.0, ttl=10.0)
    assert await guard.claim("greedy", "2", now=0.0, ttl=20.0)
    with pytest.raises(KeyOverNonceLimit):
        await guard.claim("greedy", "3", now=1.0, ttl=10.0)
    for index in range(50):  # every other key goes on as before
        assert await guard.claim(f"other-{index}", "1", now=1.0, ttl=10.0)
    assert not await guard.claim("greedy", "1", now=1.0, ttl=10.0)  # its nonces stay remembered
    assert await guard.claim("greedy", "3", now=10.0, ttl=10.0)  # "1" expired: room for one more


async def test_the_same_nonce_under_two_keys_is_two_claims():
    guard = MemoryNonceGuard()
    assert await guard.claim("first", "n", now=0.0, ttl=10.0)
    assert await guard.claim("second", "n", now=0.0, ttl=10.0)
    assert not await guard.claim("first", "n", now=0.0, ttl=10.0)


def test_memory_guard_needs_a_positive_capacity():
    with pytest.raises(ValueError):
        MemoryNonceGuard(capacity=0)


@pytest.fixture
async def redis_pair(redis_url) -> AsyncIterator[tuple[Redis, Redis, str]]:
    """Two separate connections (as two processes would have) and a prefix private to this test."""
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    prefix = f"mailyard-test:{uuid.uuid4().hex}:"
    yield first, second, prefix
    keys = [key async for key in first.scan_iter(match=prefix + "*")]
    if keys:
        await first.delete(*keys)
    await first.aclose()
    await second.aclose()


async def test_redis_guard_refuses_a_repeated_nonce(redis_pair):
    client, _, prefix = redis_pair
    guard = RedisNonceGuard(client, prefix)
    assert await guard.claim("ak", "n1", now=0.0, ttl=900.0)
    assert not await guard.claim("ak", "n1", now=0.0, ttl=900.0)
    assert await guard.claim("ak", "n2", now=0.0, ttl=900.0)


async def test_redis_guard_sets_the_ttl(redis_pair):
    client, _, prefix = redis_pair
    await RedisNonceGuard(client, prefix).claim("ak", "n1", now=0.0, ttl=12.5)
    assert 0 < await client.pttl(prefix + "ak/n1") <= 12_500


async def test_two_redis_guards_share_their_nonces(redis_pair):
    first_client, second_client, prefix = redis_pair
    first, second = RedisNonceGuard(first_client, prefix), RedisNonceGuard(second_client, prefix)
    assert await first.claim("ak", "shared", now=0.0, ttl=900.0)
    assert not await second.claim("ak", "shared", now=0.0, ttl=900.0)


async def test_concurrent_claims_across_guards_admit_exactly_one(redis_pair):
    first_client, second_client, prefix = redis_pair
    guards = [RedisNonceGuard(first_client, prefix), RedisNonceGuard(second_client, prefix)]
    results = await asyncio.gather(*(guards[index % 2].claim("ak", "race", now=0.0, ttl=900.0) for index in range(40)))
    assert results.count(True) == 1


async def test_unreachable_redis_makes_the_guard_unavailable():
    client = Redis(host="127.0.0.1", port=9, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    try:
        with pytest.raises(NonceGuardUnavailable):
            await RedisNonceGuard(client).claim("ak", "n1", now=0.0, ttl=900.0)
    finally:
        await client.aclose()
