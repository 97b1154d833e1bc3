"""While a tick fires due tasks, a worker claims no new batch to send: runs due at once all start promptly
instead of sharing the process with the copies of the first ones; sending resumes when the tick ends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import runs, tasks
from mailyard.services.scheduling import SchedulingService
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)


class HeldTick(SchedulingService):
    """The real scheduler, whose ticks wait to be let go."""

    def __init__(self, runtime: bootstrap.Runtime) -> None:
        super().__init__(runtime.store, runtime.services.clock)
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def fire_due(self) -> list[runs.Run]:
        self.entered.set()
        await self.release.wait()
        return await super().fire_due()


async def test_sending_waits_for_the_tick_under_way(runtime: bootstrap.Runtime, team: Any, make_content: Any) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=["ann@example.org", "ben@example.org"])
    scheduling = HeldTick(runtime)
    options = WorkerOptions(concurrency=2, batch_size=10, poll_seconds=0.02, schedule_every=0.02)
    worker = Worker(runtime.services.sending, scheduling, options)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(scheduling.entered.wait(), 10)
        task = await runtime.services.tasks.create(principal, content.task_request())  # queued while the tick runs
        await asyncio.sleep(0.3)  # many sender polls
        waiting = await runtime.services.tasks.get(principal, task.id)
        assert (waiting.counters.sent, waiting.counters.cached) == (0, 2)

        scheduling.release.set()
        for _ in range(200):
            found = await runtime.services.tasks.get(principal, task.id)
            if found.state is tasks.TaskState.DONE:
                break
            await asyncio.sleep(0.05)
        assert (found.state, found.counters.sent) == (tasks.TaskState.DONE, 2)
    finally:
        scheduling.release.set()
        stop.set()
        await asyncio.wait_for(loop, 10)
