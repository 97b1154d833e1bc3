"""Replay guard: a signature nonce is accepted once per access key within the time window (Alibaba spec 2.4.2,
Tencent legacy v1 `Nonce`, 1.7.4).

A signed request stays acceptable while its timestamp is within the window of server time, so its nonce has
to be remembered exactly that long; the door passes the remaining lifetime as `ttl`. Two guards share one
Protocol: `MemoryNonceGuard` for a single process, `RedisNonceGuard` for any number of processes.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

DEFAULT_MEMORY_CAPACITY = 1_000_000
#: live nonces one access key may hold in memory: far above a key used within its door's rate limit
DEFAULT_CAPACITY_PER_KEY = 20_000
DEFAULT_REDIS_PREFIX = "mailyard:aliyun:nonce:"


class NonceGuardUnavailable(Exception):
    """The guard cannot tell whether a nonce is new (store down or full); the request must be refused."""


class KeyOverNonceLimit(NonceGuardUnavailable):
    """One access key holds as many live nonces as it may: only that key's requests are refused for now."""


class NonceGuard(Protocol):
    async def claim(self, key: str, nonce: str, *, now: float, ttl: float) -> bool:
        """Remember `nonce` of access key `key` for `ttl` seconds from `now`; False if it is already remembered.

        Raises `NonceGuardUnavailable` when it cannot decide: refusing beats letting a replay through.
        """
        ...


class MemoryNonceGuard:
    """Nonces of one process, bounded per access key and in all, and forgotten once expired.

    Claims run on one event loop without awaiting, so check-and-set is atomic. A key holding `capacity_per_key`
    live nonces gets `KeyOverNonceLimit` (its own requests wait, nobody else's); past `capacity` in all, new
    claims fail with `NonceGuardUnavailable`. A live nonce is never evicted: that would reopen it to replay.
    """

    def __init__(self, capacity: int = DEFAULT_MEMORY_CAPACITY, capacity_per_key: int = DEFAULT_CAPACITY_PER_KEY):
        if capacity < 1 or capacity_per_key < 1:
            raise ValueError("capacities must be positive")
        self._capacity = capacity
        self._capacity_per_key = capacity_per_key
        self._expiry: dict[tuple[str, str], float] = {}
        self._held: Counter[str] = Counter()
        self._queue: list[tuple[float, str, str]] = []  # (expires_at, key, nonce), a min-heap

    def __len__(self) -> int:
        return len(self._expiry)

    async def claim(self, key: str, nonce: str, *, now: float, ttl: float) -> bool:
        self._forget_expired(now)
        if (key, nonce) in self._expiry:
            return False
        if self._held[key] >= self._capacity_per_key:
            raise KeyOverNonceLimit(f"access key {key!r} holds {self._capacity_per_key} live nonces")
        if len(self._expiry) >= self._capacity:
            raise NonceGuardUnavailable("the in-memory nonce guard is full")
        expires_at = now + ttl
        self._expiry[key, nonce] = expires_at
        self._held[key] += 1
        heapq.heappush(self._queue, (expires_at, key, nonce))
        return True

    def _forget_expired(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            expires_at, key, nonce = heapq.heappop(self._queue)
            # A nonce can only be claimed again after it expired, so the entry may be a newer one.
            if self._expiry.get((key, nonce)) == expires_at:
                del self._expiry[key, nonce]
                self._held[key] -= 1
                if not self._held[key]:
                    del self._held[key]


class RedisNonceGuard:
    """Nonces shared by every process using the same Redis: one atomic `SET key 1 NX PX ttl` per claim.

    Redis expires the keys on its own clock; `now` is not needed beyond the `ttl` the door computed. Redis
    memory is bounded by the rate limit of each door (shared through the same Redis), not per key here.
    """

    def __init__(self, redis: Redis, prefix: str = DEFAULT_REDIS_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    async def claim(self, key: str, nonce: str, *, now: float, ttl: float) -> bool:
        milliseconds = max(1, math.ceil(ttl * 1000))
        try:
            created = await self._redis.set(f"{self._prefix}{key}/{nonce}", b"1", nx=True, px=milliseconds)
        except RedisError as error:
            raise NonceGuardUnavailable("the Redis nonce guard is unreachable") from error
        return bool(created)


def nonce_guard(redis: Redis | None, prefix: str = DEFAULT_REDIS_PREFIX) -> NonceGuard:
    """Across processes with Redis (a client built to fail fast, so an outage answers 503 at once); in memory for
    the single embedded process."""
    return MemoryNonceGuard() if redis is None else RedisNonceGuard(redis, prefix)
