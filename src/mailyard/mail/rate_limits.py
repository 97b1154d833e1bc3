"""Per-relay rate limits: a token bucket per relay, behind a small port so a shared limiter can replace it.

The in-process limiter is exact for one process. Several worker processes sharing a relay need a shared
limiter (for example one backed by Redis); anything with ``async acquire(relay_name, count)`` fits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from mailyard.mail.relays import RelayConfig

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RateLimiter(Protocol):
    """Waits until ``count`` messages may be sent through the named relay."""

    async def acquire(self, relay_name: str, count: int = 1) -> None: ...


class TokenBucket:
    """A token bucket of ``rate`` tokens per second holding at most ``burst`` tokens.

    Written as a reservation (the generic cell rate algorithm): each caller books its slot at once and sleeps
    until it, so waiting callers need no queue and are served in arrival order. A caller cancelled while
    sleeping keeps its booking; the bucket errs towards sending slower, never faster.
    """

    def __init__(
        self, rate: float, *, burst: float = 1.0, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._interval = 1.0 / rate
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._booked_until = float("-inf")  # "theoretical arrival time": when the bucket is full again

    async def acquire(self, count: int = 1) -> None:
        """Take ``count`` tokens, sleeping until they are available."""
        now = self._clock()
        self._booked_until = max(self._booked_until, now) + count * self._interval
        delay = self._booked_until - self._burst * self._interval - now
        if delay > 0:
            await self._sleep(delay)


class LocalRateLimiter:
    """In-process rate limits, one token bucket per relay that has a rate; other relays are unlimited."""

    def __init__(
        self,
        rates: Iterable[tuple[str, float | None]],
        *,
        burst: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._buckets = {
            name: TokenBucket(rate, burst=burst, clock=clock, sleep=sleep) for name, rate in rates if rate is not None
        }

    @classmethod
    def for_relays(cls, relays: Iterable[RelayConfig], *, clock: Clock = time.monotonic) -> LocalRateLimiter:
        """Limits taken from each relay's ``rate``."""
        return cls(((relay.name, relay.rate) for relay in relays), clock=clock)

    async def acquire(self, relay_name: str, count: int = 1) -> None:
        bucket = self._buckets.get(relay_name)
        if bucket is not None:
            await bucket.acquire(count)
