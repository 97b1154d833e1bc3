"""The scheduler step: turn due schedules into runs.

Safe with any number of schedulers: a tick holds the due tasks it took until it commits (PostgreSQL's other
schedulers pass over them and take the next ones; SQLite has one writer at a time), and the unique (task,
fire time) pair in the store makes a second attempt at the same fire time a no-op.
"""

from __future__ import annotations

import logging
from datetime import datetime

from mailyard.domain import runs, schedules, tasks
from mailyard.ports.clock import Clock
from mailyard.ports.scheduling import SchedulingRepositories
from mailyard.ports.store import Store
from mailyard.services.firing import fire, fire_scheduled

logger = logging.getLogger(__name__)

#: due tasks fired per transaction: their runs, ledgers and task updates take a few statements together
DUE_BATCH = 500


class SchedulingService:
    def __init__(self, store: Store[SchedulingRepositories], clock: Clock, *, batch: int = DUE_BATCH) -> None:
        self._store = store
        self._clock = clock
        self._batch = batch

    async def fire_due(self) -> list[runs.Run]:
        """Start a run for every task whose fire time has come; missed recurring times run once.

        Batch after batch while batches come back full. A batch that fails is rolled back whole (nothing
        half fired), and its tasks are then fired one per transaction, so one task that cannot be fired holds
        none of the others back; the first error is raised after them, and that task stays due.
        """
        started: list[runs.Run] = []
        while True:
            try:
                batch, taken = await self._fire_batch()
            except Exception as error:
                logger.warning("firing a batch of due tasks failed (%s); firing them one by one", type(error).__name__)
                await self._fire_one_by_one()
                raise
            started += batch
            if taken < self._batch:
                return started

    async def _fire_batch(self) -> tuple[list[runs.Run], int]:
        async with self._store.transaction() as repositories:
            now = self._clock.now()
            due = await repositories.tasks.due(now, self._batch)
            firing = [(task, _fire_time(task, now)) for task in due if _may_fire(task, now)]
            return await fire_scheduled(repositories, firing), len(due)

    async def _fire_one_by_one(self) -> None:
        async with self._store.transaction() as repositories:
            due = await repositories.tasks.due(self._clock.now(), self._batch)
        for candidate in due:
            try:
                await self._fire(candidate.account_id, candidate.id)
            except Exception:
                logger.exception("task %s could not be fired", candidate.id, extra={"task": candidate.id})

    async def _fire(self, account_id: int, task_id: int) -> runs.Run | None:
        async with self._store.transaction() as repositories:
            task = await repositories.tasks.get(account_id, task_id)
            now = self._clock.now()
            if task is None or not _may_fire(task, now):
                return None
            return await fire(repositories, task, fire_at=_fire_time(task, now), kind=runs.RunKind.SCHEDULED)


def _fire_time(task: tasks.Task, now: datetime) -> datetime:
    assert task.next_fire_at is not None  # due, or it would not be fired
    return schedules.latest_due(task.schedule, task.next_fire_at, now)


def _may_fire(task: tasks.Task, now: datetime) -> bool:
    """Re-checked inside the transaction: another scheduler or a user may have changed the task meanwhile.

    A terminated cycle still runs the fire time it has left (none once cancelled): terminating stops the
    repeats, `following_fire_at` gives it no next one, and the task is done when that run ends.
    """
    stopped = task.state in (tasks.TaskState.ERROR, tasks.TaskState.CANCELLED)
    due = task.next_fire_at is not None and task.next_fire_at <= now
    return due and not task.paused and not stopped
