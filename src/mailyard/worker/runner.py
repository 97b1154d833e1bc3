"""The sending loop: fire due schedules, claim a batch, send it with bounded concurrency, record outcomes.

Stopping is graceful: once the stop event is set no new batch is claimed and no new message is started;
messages already handed to the mailer finish and are recorded, the rest of the batch is released at once
so another worker can take it without waiting for the lease to expire.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass

from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.domain.sending import ClaimedDelivery
from mailyard.services.retention import BATCH, RetentionService
from mailyard.services.scheduling import SchedulingService
from mailyard.services.sending import SendingService
from mailyard.worker.supervision import Supervisor, wait

logger = logging.getLogger(__name__)

SCHEDULER_LOOP = "scheduler"
SENDER_LOOP = "sender"
RENEWAL_LOOP = "lease renewal"
PURGE_LOOP = "purge"


@dataclass(frozen=True, kw_only=True)
class WorkerOptions:
    concurrency: int = 32  #: messages in flight at once
    batch_size: int = 128  #: deliveries claimed per transaction
    pipeline: int = 2  #: batches worked on at once, so claiming and recording overlap sending
    poll_seconds: float = 1.0  #: pause when there is nothing to do
    schedule_every: float = 1.0  #: seconds between scheduler ticks
    purge_every: float = 300.0  #: seconds between purges when the last one left nothing behind


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
        supervisor: Supervisor | None = None,
        retention: RetentionService | None = None,
    ) -> None:
        self._sending = sending
        self._scheduling = scheduling
        self.options = options or WorkerOptions()
        self.name = name or worker_name()
        self.supervisor = supervisor or Supervisor()
        self._retention = retention if retention is not None and retention.policy.purges else None
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()  # set on stop and when the scheduler starts runs
        # Cleared while a tick fires due tasks: new batches wait for it, so that runs due at once all start
        # promptly instead of sharing the process with the copies of the first ones.
        self._not_firing = asyncio.Event()
        self._not_firing.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set, then finish what is in flight and return.

        Several batches are worked on at once (`pipeline`), all sharing the `concurrency` slots: while one
        batch is being recorded or claimed, the next one keeps the connections busy. Each loop is supervised:
        a failing round is logged and retried after a pause, and never ends the worker.
        """
        logger.info("worker %s started", self.name)
        watcher = asyncio.create_task(self._watch(stop))
        senders = (
            self.supervisor.run(SENDER_LOOP, self._send_round, self._stopping)
            for _ in range(max(1, self.options.pipeline))
        )
        purger = [self.supervisor.run(PURGE_LOOP, self._purge_round, self._stopping)] if self._retention else []
        try:
            await asyncio.gather(
                self.supervisor.run(SCHEDULER_LOOP, self._schedule_round, self._stopping), *senders, *purger
            )
        finally:
            watcher.cancel()
            logger.info("worker %s stopped", self.name)

    async def _schedule_round(self) -> None:
        """A tick; straight on while ticks start runs (a tick fires at most a batch of due tasks), so many
        tasks due in the same second are not spread over one tick a second."""
        if await self._tick():
            self._wake.set()
            await asyncio.sleep(0)
            return
        await wait(self._stopping, self.options.schedule_every)

    async def _purge_round(self) -> None:
        """One small batch of each kind past its age; straight on while batches come back full."""
        assert self._retention is not None
        removed = await self._retention.purge_batch()
        if removed and max(removed.values()) >= BATCH:
            await asyncio.sleep(0)  # let the other loops in between batches
            return
        await wait(self._stopping, self.options.purge_every)

    async def _send_round(self) -> None:
        self._wake.clear()
        if await self._step() == 0:
            await wait(self._wake, self.options.poll_seconds)

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
        self._not_firing.clear()
        try:
            started = await self._scheduling.fire_due()
        finally:
            self._not_firing.set()
        for run in started:
            logger.info(
                "task %s fired run %s (%s recipients)",
                run.task_id,
                run.id,
                run.requested,
                extra={"task": run.task_id, "run": run.id},
            )
        return bool(started)

    async def _step(self) -> int:
        """Claim, send and record one batch.

        A copy that could not be handed over (a database error while the outbox stores it) is recorded as
        a temporary failure with the others, then the first such error is raised for the supervisor.
        """
        await self._not_firing.wait()
        batch = await self._sending.claim(self.name, self.options.batch_size)
        if not batch:
            return 0
        errors: list[Exception] = []
        batch_done = asyncio.Event()
        renewal = asyncio.create_task(self._renew_while_sending([delivery.id for delivery in batch], batch_done))
        try:
            outcomes = await asyncio.gather(*(self._attempt(delivery, errors) for delivery in batch))
        finally:
            batch_done.set()
            renewal.cancel()
        attempted = [(delivery, outcome) for delivery, outcome in zip(batch, outcomes, strict=True) if outcome]
        unsent = [delivery.id for delivery, outcome in zip(batch, outcomes, strict=True) if outcome is None]
        # When recording fails the leases expire and the deliveries are claimed again: at worst a second copy.
        await self._sending.record(self.name, attempted)
        await self._sending.release(self.name, unsent)
        if errors:
            raise errors[0]
        return len(attempted)

    async def _attempt(self, delivery: ClaimedDelivery, errors: list[Exception]) -> DeliveryOutcome | None:
        """None when stopping before this message was started: it goes back to the queue unsent."""
        async with self._slots:
            if self._stopping.is_set():
                return None
            try:
                return await self._sending.attempt(delivery)
            except Exception as error:
                errors.append(error)
                return DeliveryOutcome(OutcomeKind.RETRY, 0, f"not handed over: {type(error).__name__}")

    async def _renew_while_sending(self, delivery_ids: list[int], done: asyncio.Event) -> None:
        """Keep the batch's leases alive while slow relays take their time."""
        interval = self._sending.lease_for.total_seconds() / 3

        async def renew() -> None:
            await wait(done, interval)
            if not done.is_set():
                await self._sending.renew(self.name, delivery_ids)

        await self.supervisor.run(RENEWAL_LOOP, renew, done, max_backoff=interval)
