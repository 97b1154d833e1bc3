"""Replay guard: a signature nonce is accepted once within the time window (spec 2.4.2, docs).

A signed request stays acceptable while its timestamp is within the window of server time, so its nonce has
to be remembered exactly that long; the door passes the remaining lifetime as `ttl`. Two guards share one
Protocol: `MemoryNonceGuard` for a single process, `RedisNonceGuard` for any number of processes.
"""

from __future__ import annotations

import heapq
import math
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

DEFAULT_MEMORY_CAPACITY = 100_000
DEFAULT_REDIS_PREFIX = "mailyard:aliyun:nonce:"


class NonceGuardUnavailable(Exception):
    """The guard cannot tell whether a nonce is new (store down or full); the request must be refused."""


class NonceGuard(Protocol):
    async def claim(self, nonce: str, *, now: float, ttl: float) -> bool:
        """Remember `nonce` for `ttl` seconds from `now`; False if it is already remembered.

        Raises `NonceGuardUnavailable` when it cannot decide: refusing beats letting a replay through.
        """
        ...


class MemoryNonceGuard:
    """Nonces of one process, bounded in number and forgotten once expired.

    Claims run on one event loop without awaiting, so check-and-set is atomic. When `capacity` live nonces
    are held, new claims fail with `NonceGuardUnavailable` instead of evicting a live one (which would reopen
    it to replay); size it above the peak number of requests in twice the time window.
    """

    def __init__(self, capacity: int = DEFAULT_MEMORY_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self._capacity = capacity
        self._expiry: dict[str, float] = {}
        self._queue: list[tuple[float, str]] = []  # (expires_at, nonce), a min-heap

    def __len__(self) -> int:
        return len(self._expiry)

    async def claim(self, nonce: str, *, now: float, ttl: float) -> bool:
        self._forget_expired(now)
        if nonce in self._expiry:
            return False
        if len(self._expiry) >= self._capacity:
            raise NonceGuardUnavailable("the in-memory nonce guard is full")
        expires_at = now + ttl
        self._expiry[nonce] = expires_at
        heapq.heappush(self._queue, (expires_at, nonce))
        return True

    def _forget_expired(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            expires_at, nonce = heapq.heappop(self._queue)
            # A nonce can only be claimed again after it expired, so the entry may be a newer one.
            if self._expiry.get(nonce) == expires_at:
                del self._expiry[nonce]


class RedisNonceGuard:
    """Nonces shared by every process using the same Redis: one atomic `SET key 1 NX PX ttl` per claim.

    Redis expires the keys on its own clock; `now` is not needed beyond the `ttl` the door computed.
    """

    def __init__(self, redis: Redis, prefix: str = DEFAULT_REDIS_PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix

    async def claim(self, nonce: str, *, now: float, ttl: float) -> bool:
        milliseconds = max(1, math.ceil(ttl * 1000))
        try:
            created = await self._redis.set(self._prefix + nonce, b"1", nx=True, px=milliseconds)
        except RedisError as error:
            raise NonceGuardUnavailable("the Redis nonce guard is unreachable") from error
        return bool(created)
