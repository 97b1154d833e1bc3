"""The scheduler step: turn due schedules into runs.

Safe with any number of schedulers: each task is re-read and fired in its own transaction, and the unique
(task, fire time) pair in the store makes a second attempt at the same fire time a no-op.
"""

from __future__ import annotations

from datetime import datetime

from mailyard.domain import runs, schedules, tasks
from mailyard.ports.clock import Clock
from mailyard.ports.scheduling import SchedulingRepositories
from mailyard.ports.store import Store
from mailyard.services.firing import fire

DUE_BATCH = 100


class SchedulingService:
    def __init__(self, store: Store[SchedulingRepositories], clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def fire_due(self) -> list[runs.Run]:
        """Start a run for every task whose fire time has come; missed recurring times run once."""
        now = self._clock.now()
        async with self._store.transaction() as repositories:
            due = await repositories.tasks.due(now, DUE_BATCH)
        started = []
        for candidate in due:
            run = await self._fire(candidate.account_id, candidate.id)
            if run is not None:
                started.append(run)
        return started

    async def _fire(self, account_id: int, task_id: int) -> runs.Run | None:
        async with self._store.transaction() as repositories:
            task = await repositories.tasks.get(account_id, task_id)
            now = self._clock.now()
            if task is None or task.next_fire_at is None or not _may_fire(task, now):
                return None
            fire_at = schedules.latest_due(task.schedule, task.next_fire_at, now)
            return await fire(repositories, task, fire_at=fire_at, kind=runs.RunKind.SCHEDULED)


def _may_fire(task: tasks.Task, now: datetime) -> bool:
    """Re-checked inside the transaction: another scheduler or a user may have changed the task meanwhile.

    A terminated cycle still runs the fire time it has left (none once cancelled): terminating stops the
    repeats, `following_fire_at` gives it no next one, and the task is done when that run ends.
    """
    stopped = task.state in (tasks.TaskState.ERROR, tasks.TaskState.CANCELLED)
    due = task.next_fire_at is not None and task.next_fire_at <= now
    return due and not task.paused and not stopped
