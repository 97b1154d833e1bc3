"""Daily quotas: an exhausted account's tasks wait (suspended, still cached) for midnight in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.services.test_sending import ledger_agrees

from mailyard import bootstrap
from mailyard.domain import tasks
from mailyard.domain.quotas import day_start
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
# 23:30 in Asia/Shanghai (UTC+8): half an hour before the account's day ends.
LATE_EVENING = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


@pytest.fixture
def worker(runtime: bootstrap.Runtime) -> Worker:
    services = runtime.services
    return Worker(services.sending, services.scheduling, WorkerOptions(batch_size=2, concurrency=2), name="w")


def test_day_starts_at_local_midnight() -> None:
    assert day_start(LATE_EVENING, "Asia/Shanghai") == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert day_start(datetime(2026, 3, 2, 16, 0, tzinfo=UTC), "Asia/Shanghai") == datetime(
        2026, 3, 2, 16, 0, tzinfo=UTC
    )


async def test_quota_suspends_until_midnight_in_the_account_zone(
    runtime: bootstrap.Runtime, api: Any, clock: Any, team: Any, rival: Any, make_content: Any, worker: Worker
) -> None:
    clock.set(LATE_EVENING)
    refused = await api.patch("/v1/account", json={"daily_quota": 3}, auth=team.members[0].auth)
    assert refused.status_code == 403
    unknown_zone = await api.patch("/v1/account", json={"time_zone": "Mars/Olympus"}, auth=team.admin.auth)
    assert unknown_zone.status_code in (400, 422), unknown_zone.text
    patched = await api.patch(
        "/v1/account", json={"daily_quota": 3, "time_zone": "Asia/Shanghai"}, auth=team.admin.auth
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["daily_quota"], patched.json()["time_zone"]) == (3, "Asia/Shanghai")

    principal = team.admin.principal
    content = await make_content(principal, addresses=tuple(f"r{index}@example.org" for index in range(5)))
    task = await runtime.services.tasks.create(principal, content.task_request())
    other = await make_content(rival.admin.principal, addresses=tuple(f"o{i}@example.org" for i in range(4)))
    other_task = await runtime.services.tasks.create(rival.admin.principal, other.task_request())

    assert await worker.drain() == 3 + 4  # the rival account has no quota
    waiting = await ledger_agrees(runtime, principal, task.id)
    assert (waiting.state, waiting.counters.sent, waiting.counters.cached) == (tasks.TaskState.SUSPENDED, 3, 2)
    assert (await runtime.services.tasks.get(rival.admin.principal, other_task.id)).state is tasks.TaskState.DONE

    clock.set(datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC))  # 23:59:59 local: still today
    assert await worker.drain() == 0
    assert (await runtime.services.tasks.get(principal, task.id)).state is tasks.TaskState.SUSPENDED

    clock.set(datetime(2026, 3, 2, 16, 0, 1, tzinfo=UTC))  # 00:00:01 local: a new day
    assert await worker.drain() == 2
    done = await ledger_agrees(runtime, principal, task.id)
    assert (done.state, done.counters.sent, done.counters.cached) == (tasks.TaskState.DONE, 5, 0)


async def test_suspended_task_goes_back_to_sending_after_midnight(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    clock.set(LATE_EVENING)
    principal = team.admin.principal
    await runtime.services.access.update_account(principal, daily_quota=2)
    content = await make_content(principal, addresses=tuple(f"r{index}@example.org" for index in range(6)))
    task = await runtime.services.tasks.create(principal, content.task_request())
    sending = runtime.services.sending
    await runtime.services.scheduling.fire_due()

    first = await sending.claim("a", 10)
    assert len(first) == 2
    # Leased but not yet recorded: a second worker sees the quota used up by messages in flight.
    assert await sending.claim("b", 10) == []
    await sending.record("a", [(delivery, await sending.attempt(delivery)) for delivery in first])
    assert await sending.claim("b", 10) == []
    assert (await ledger_agrees(runtime, principal, task.id)).state is tasks.TaskState.SUSPENDED

    clock.set(datetime(2026, 3, 3, 1, 0, tzinfo=UTC))  # 09:00 the next local day
    second = await sending.claim("b", 10)
    assert len(second) == 2
    assert (await runtime.services.tasks.get(principal, task.id)).state is tasks.TaskState.SENDING
    await sending.record("b", [(delivery, await sending.attempt(delivery)) for delivery in second])
    resumed = await ledger_agrees(runtime, principal, task.id)
    assert (resumed.counters.sent, resumed.counters.cached) == (4, 2)

    assert await sending.claim("b", 10) == []  # today's two are used up again
    assert (await runtime.services.tasks.get(principal, task.id)).state is tasks.TaskState.SUSPENDED
    await runtime.services.access.update_account(principal, daily_quota=None)  # unlimited again
    assert (await runtime.services.tasks.get(principal, task.id)).state is tasks.TaskState.SENDING
    rest = await sending.claim("b", 10)
    assert len(rest) == 2
