"""The sending loop: fire due schedules, claim a batch, send it with bounded concurrency, record outcomes.

Stopping is graceful: once the stop event is set no new batch is claimed and no new message is started;
messages already handed to the mailer finish and are recorded, the rest of the batch is released at once
so another worker can take it without waiting for the lease to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from mailyard.domain.outcomes import DeliveryOutcome
from mailyard.domain.sending import ClaimedDelivery
from mailyard.services.scheduling import SchedulingService
from mailyard.services.sending import SendingService

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class WorkerOptions:
    concurrency: int = 32  #: messages in flight at once
    batch_size: int = 128  #: deliveries claimed per transaction
    pipeline: int = 2  #: batches worked on at once, so claiming and recording overlap sending
    poll_seconds: float = 1.0  #: pause when there is nothing to do
    schedule_every: float = 1.0  #: seconds between scheduler ticks


def worker_name() -> str:
    """Unique per worker: host, pid and a random suffix, within the 64 characters of a lease owner."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        sending: SendingService,
        scheduling: SchedulingService,
        options: WorkerOptions | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self._sending = sending
        self._scheduling = scheduling
        self.options = options or WorkerOptions()
        self.name = name or worker_name()
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()  # set on stop and when the scheduler starts runs

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set, then finish what is in flight and return.

        Several batches are worked on at once (`pipeline`), all sharing the `concurrency` slots: while one
        batch is being recorded or claimed, the next one keeps the connections busy.
        """
        logger.info("worker %s started", self.name)
        watcher = asyncio.create_task(self._watch(stop))
        try:
            await asyncio.gather(self._schedule(), *(self._send() for _ in range(max(1, self.options.pipeline))))
        finally:
            watcher.cancel()
            logger.info("worker %s stopped", self.name)

    async def _schedule(self) -> None:
        while not self._stopping.is_set():
            if await self._tick():
                self._wake.set()
            await _wait(self._stopping, self.options.schedule_every)

    async def _send(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            if await self._step() == 0:
                await _wait(self._wake, self.options.poll_seconds)

    async def run_once(self) -> int:
        """One scheduler tick and one batch; the number of deliveries attempted (for tests and tools)."""
        await self._tick()
        return await self._step()

    async def drain(self) -> int:
        """Send until nothing is claimable right now; the number of deliveries attempted."""
        total = 0
        while processed := await self.run_once():
            total += processed
        return total

    async def _watch(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._stopping.set()
        self._wake.set()

    async def _tick(self) -> bool:
        """Fire due schedules; True when runs started."""
        try:
            started = await self._scheduling.fire_due()
        except Exception:  # the loop must survive a database hiccup; the next tick retries
            logger.exception("scheduler tick failed")
            return False
        for run in started:
            logger.info("task %s fired run %s (%s recipients)", run.task_id, run.id, run.requested)
        return bool(started)

    async def _step(self) -> int:
        """Claim, send and record one batch."""
        try:
            batch = await self._sending.claim(self.name, self.options.batch_size)
        except Exception:
            logger.exception("claiming deliveries failed")
            return 0
        if not batch:
            return 0
        renewal = asyncio.create_task(self._renew_while_sending([delivery.id for delivery in batch]))
        try:
            outcomes = await asyncio.gather(*(self._attempt(delivery) for delivery in batch))
        finally:
            renewal.cancel()
        attempted = [(delivery, outcome) for delivery, outcome in zip(batch, outcomes, strict=True) if outcome]
        unsent = [delivery.id for delivery, outcome in zip(batch, outcomes, strict=True) if outcome is None]
        await self._finish(attempted, unsent)
        return len(attempted)

    async def _attempt(self, delivery: ClaimedDelivery) -> DeliveryOutcome | None:
        """None when stopping before this message was started: it goes back to the queue unsent."""
        async with self._slots:
            if self._stopping.is_set():
                return None
            return await self._sending.attempt(delivery)

    async def _finish(
        self, attempted: Sequence[tuple[ClaimedDelivery, DeliveryOutcome]], unsent: Sequence[int]
    ) -> None:
        try:
            await self._sending.record(self.name, attempted)
            await self._sending.release(self.name, unsent)
        except Exception:
            # The leases expire and the deliveries are claimed again: at worst a second copy, never a loss.
            logger.exception("recording %d outcomes failed", len(attempted))

    async def _renew_while_sending(self, delivery_ids: list[int]) -> None:
        """Keep the batch's leases alive while slow relays take their time."""
        interval = self._sending.lease_for.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._sending.renew(self.name, delivery_ids)
            except Exception:
                logger.exception("renewing leases failed")


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, waking early when `event` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
