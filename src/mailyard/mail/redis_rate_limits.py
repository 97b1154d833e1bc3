"""Relay rate limits shared by every process through Redis (MAILYARD_REDIS_URL), using the `limits` library.

Each relay with a ``rate`` gets a moving window in Redis; every worker process counts its messages in the same
window, so the relay sees one global rate however many workers send. A process that finds the window full
sleeps until its oldest entry expires.

If Redis cannot be reached, sending through rate-limited relays pauses until it answers again (logged once
at the start and once at the end of the outage). Falling back to a rate per process would let N workers send
at N times the relay's rate; a pause is the one choice that never exceeds it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable

import redis.asyncio
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from mailyard.mail.rate_limits import Sleep
from mailyard.mail.relays import RelayConfig

DEFAULT_KEY_PREFIX = "mailyard-relay"
RETRY_SECONDS = 1.0  # how often a paused sender asks Redis again
_SHORTEST_WAIT = 0.001  # seconds; the window's reset time is rounded, never spin on it

logger = logging.getLogger(__name__)


def window_for(rate: float) -> RateLimitItem:
    """`rate` messages per second as a whole number of messages per whole number of seconds.

    Rates of one or more per second are rounded down to whole messages per second (never faster than asked);
    slower rates become one message per ceil(1 / rate) seconds.
    """
    if rate >= 1:
        return RateLimitItemPerSecond(math.floor(rate), 1)
    return RateLimitItemPerSecond(1, math.ceil(1 / rate))


class RedisRateLimiter:
    """The relay pool's `RateLimiter`, shared across processes through Redis."""

    def __init__(
        self,
        rates: Iterable[tuple[str, float | None]],
        *,
        redis: redis.asyncio.Redis,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """``redis`` is the process's client; its owner closes it (limits only borrows its connection pool)."""
        known = [(name, rate) for name, rate in rates if rate is not None]
        self._windows = {name: window_for(rate) for name, rate in known}
        # limits defaults to the coredis client; redis-py is the one this project depends on. Given a pool,
        # limits opens no connection of its own, so nothing is left open when the process's client closes.
        self._storage = RedisStorage(
            "async+redis://",
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # documented; typed as scalars only
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._sleep = sleep
        self.paused = False  #: True while Redis cannot be reached

    @classmethod
    def for_relays(
        cls, relays: Iterable[RelayConfig], *, redis: redis.asyncio.Redis, key_prefix: str = DEFAULT_KEY_PREFIX
    ) -> RedisRateLimiter:
        return cls(((relay.name, relay.rate) for relay in relays), redis=redis, key_prefix=key_prefix)

    async def acquire(self, relay_name: str, count: int = 1) -> None:
        window = self._windows.get(relay_name)
        if window is None:
            return
        while True:
            try:
                await self._take(window, relay_name, count)
            except StorageError as error:
                self._pause(error)
                await self._sleep(RETRY_SECONDS)
                continue
            self._resume()
            return

    def _pause(self, error: StorageError) -> None:
        if not self.paused:
            logger.warning(
                "relay rate limits: Redis unreachable (%s); sending through rate-limited relays is paused until it"
                " answers",
                type(error.storage_error).__name__,
            )
        self.paused = True

    def _resume(self) -> None:
        if self.paused:
            logger.warning("relay rate limits: Redis answers again; sending resumes")
        self.paused = False

    async def _take(self, window: RateLimitItem, relay_name: str, count: int) -> None:
        cost = min(count, window.amount)  # more than the window holds could never be granted
        while not await self._limiter.hit(window, relay_name, cost=cost):
            stats = await self._limiter.get_window_stats(window, relay_name)
            await self._sleep(max(stats.reset_time - time.time(), _SHORTEST_WAIT))

    async def reset(self) -> None:
        """Forget every count (tests, and an operator clearing a stuck limit)."""
        await self._storage.reset()
