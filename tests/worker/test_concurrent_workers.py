"""Several workers in separate runtimes (own engines and connections) share one database: no delivery is
sent twice, none is skipped, and the counters agree with the ledger."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import paging, runs, tasks
from mailyard.settings import Settings
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(120)
RECIPIENTS = 300


async def test_workers_never_send_a_delivery_twice(
    runtime: bootstrap.Runtime, settings: Settings, clock: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    addresses = tuple(f"reader{index}@example.org" for index in range(RECIPIENTS))
    content = await make_content(principal, addresses=addresses)
    others = [await bootstrap.open_runtime(settings, clock=clock, upgrade_schema=False) for _ in range(2)]
    try:
        workers = [
            Worker(
                each.services.sending,
                each.services.scheduling,
                WorkerOptions(concurrency=8, batch_size=16),
                name=f"worker-{index}",
            )
            for index, each in enumerate([runtime, *others])
        ]
        task = await runtime.services.tasks.create(principal, content.task_request())
        await runtime.services.scheduling.fire_due()  # expanded before any worker claims, which ends a drain
        attempted = await asyncio.gather(*(worker.drain() for worker in workers))
    finally:
        for each in others:
            await each.close()

    assert sum(attempted) == RECIPIENTS
    # At least two workers claimed side by side (on SQLite a worker whose first turn at the write lock comes
    # after the last claim finds nothing left, so all three is a matter of timing).
    assert sum(1 for count in attempted if count) >= 2, attempted
    window = paging.Window(offset=0, limit=paging.MAX_PAGE_SIZE)
    copies: Counter[int | None] = Counter()
    offset = 0
    while True:
        page = await runtime.services.outbox.list(principal, paging.Window(offset=offset, limit=window.limit))
        copies.update(message.delivery_id for message in page.items)
        offset += window.limit
        if offset >= page.total:
            break
    assert len(copies) == RECIPIENTS and set(copies.values()) == {1}
    done = await runtime.services.tasks.get(principal, task.id)
    assert (done.state, done.counters.sent, done.counters.cached) == (tasks.TaskState.DONE, RECIPIENTS, 0)
    sent = await runtime.services.tasks.deliveries(principal, task.id, window, state=runs.DeliveryState.SENT)
    assert sent.total == RECIPIENTS
