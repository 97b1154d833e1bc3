"""Per-account, per-action rate limit, the same on every door: 20 requests/s by default (Tencent spec 1.1,
"Documented default rate limit"). Each door answers it in its own protocol: Tencent ``RequestLimitExceeded``
(which the SDK's opt-in retryer retries, 1.7.6), Alibaba ``Throttling.User``, the native API 429.

Counts live in process memory, or in Redis when several API processes must share them (the client is built by
the composition root and passed in).
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

DEFAULT_PER_SECOND = 20
DEFAULT_KEY_PREFIX = "mailyard-tencent"

logger = logging.getLogger(__name__)


class ActionThrottle:
    """A sliding one-second window per (account, action), counted the cheap way: this second's count plus the
    previous second's, weighted by how much of it the window still covers. (An exact moving window keeps a
    timestamp per request and, in memory, hands its clean-up to a thread after every request: several times
    the cost of the listing it guards.)

    ``redis`` selects Redis (its connections are used); without it counts are kept in this process. If Redis
    cannot be reached the request is let through and the failure logged: a rate limiter must not take the whole
    API down with it.
    """

    def __init__(
        self,
        *,
        per_second: int = DEFAULT_PER_SECOND,
        redis: redis.asyncio.Redis | None = None,
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self._storage = _storage(redis, key_prefix)
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        self._item = RateLimitItemPerSecond(per_second, namespace=key_prefix)

    async def allow(self, account: str, action: str) -> bool:
        """Count one request; ``False`` once ``account`` used up this second's budget for ``action``."""
        try:
            return await self._limiter.hit(self._item, account, action)
        except StorageError:
            logger.warning("rate-limit storage unavailable; letting the request through", exc_info=True)
            return True

    async def close(self) -> None:
        """Close the Redis connection pool, if any (limits keeps its client on the storage's bridge)."""
        client = getattr(getattr(self._storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    async def reset(self) -> None:
        """Forget every count (tests, and an operator clearing a stuck limit)."""
        await self._storage.reset()


def _storage(client: redis.asyncio.Redis | None, key_prefix: str) -> Storage:
    if client is None:
        return MemoryStorage(wrap_exceptions=True)
    # limits defaults to the coredis client; redis-py is the one this project depends on. Given the client's
    # connection pool (which limits passes on untyped), the URI only names the kind of server.
    shared: dict[str, Any] = {"connection_pool": client.connection_pool}
    return RedisStorage(
        "async+redis://", wrap_exceptions=True, implementation="redispy", key_prefix=key_prefix, **shared
    )
