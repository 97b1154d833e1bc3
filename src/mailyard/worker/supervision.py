"""Background loops that survive failing steps.

Every loop a process runs in the background (the scheduler, the sender, lease renewals, and any added later)
is run by `Supervisor.run`: a step that raises is logged, counted, and tried again after a growing pause, and
the loop reports itself failing until a step succeeds again. Readiness (`/readyz`) is the supervisor's
`healthy`. A new loop needs nothing but a step function and a name: `supervisor.run("purge", step, stop)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mailyard.ports.metrics import Metrics
from mailyard.services.monitoring import Unmonitored

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class LoopHealth:
    """One loop's state as readiness and operators see it."""

    name: str
    failing: bool = False
    consecutive_failures: int = 0
    failures: int = 0  #: since the process started
    last_error: str | None = None  #: the error's type only: messages of database errors can carry data

    def as_report(self) -> dict[str, object]:
        return {
            "failing": self.failing,
            "consecutive_failures": self.consecutive_failures,
            "failures": self.failures,
            "last_error": self.last_error,
        }


class Supervisor:
    """Runs the background loops of one process and knows whether each is healthy."""

    def __init__(
        self,
        metrics: Metrics | None = None,
        *,
        first_backoff: float = FIRST_BACKOFF_SECONDS,
        max_backoff: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        self._metrics = metrics or Unmonitored()
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._loops: dict[str, LoopHealth] = {}
        self._changed = asyncio.Condition()

    @property
    def healthy(self) -> bool:
        return not any(loop.failing for loop in self._loops.values())

    def report(self) -> dict[str, dict[str, object]]:
        return {name: loop.as_report() for name, loop in sorted(self._loops.items())}

    def loop(self, name: str) -> LoopHealth:
        return self._loops.setdefault(name, LoopHealth(name))

    async def run(
        self,
        name: str,
        step: Callable[[], Awaitable[object]],
        stop: asyncio.Event,
        *,
        max_backoff: float | None = None,
    ) -> None:
        """Call `step` until `stop` is set; the step does its own waiting between successful rounds."""
        health = self.loop(name)
        while not stop.is_set():
            try:
                await step()
            except Exception as error:
                await self.failed(name, error)
                await wait(stop, self.backoff(health.consecutive_failures, max_backoff))
            else:
                await self.succeeded(name)
        # A loop that ended (a batch's lease renewal, or at shutdown) no longer fails: it must not keep the
        # process unready.
        health.failing, health.consecutive_failures = False, 0

    def backoff(self, consecutive_failures: int, max_backoff: float | None = None) -> float:
        """Doubling from the first pause, up to the loop's cap."""
        ceiling = self._max_backoff if max_backoff is None else max_backoff
        return float(min(self._first_backoff * 2 ** min(consecutive_failures - 1, 16), ceiling))

    async def failed(self, name: str, error: BaseException) -> None:
        health = self.loop(name)
        health.failing = True
        health.consecutive_failures += 1
        health.failures += 1
        health.last_error = type(error).__name__
        self._metrics.loop_failed(name)
        logger.error(
            "background loop %r failed (%d in a row); backing off",
            name,
            health.consecutive_failures,
            exc_info=error,
        )
        await self._notify()

    async def succeeded(self, name: str) -> None:
        health = self.loop(name)
        if not health.failing:
            return
        logger.info("background loop %r recovered after %d failures", name, health.consecutive_failures)
        health.failing, health.consecutive_failures = False, 0
        await self._notify()

    async def wait_until(self, predicate: Callable[[Supervisor], bool]) -> None:
        """Return once `predicate(self)` holds (checked on every change of a loop's health)."""
        async with self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


async def wait(event: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, waking early when `event` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
