"""Sending through a real SMTP relay (aiosmtpd) via the relay pool: outcomes, retries, errors, graceful stop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import accounts, paging, runs, suppressions, tasks

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)


async def ledger_agrees(runtime: bootstrap.Runtime, principal: accounts.Principal, task_id: int) -> tasks.Task:
    service = runtime.services.tasks
    task = await service.get(principal, task_id)
    count = {
        state: (await service.deliveries(principal, task_id, ALL, state=state)).total for state in runs.DeliveryState
    }
    assert task.counters.sent == count[runs.DeliveryState.SENT]
    assert task.counters.failed == count[runs.DeliveryState.FAILED]
    assert task.counters.cached == count[runs.DeliveryState.QUEUED] + count[runs.DeliveryState.SENDING]
    return task


async def deliveries_by_address(
    runtime: bootstrap.Runtime, principal: accounts.Principal, task_id: int
) -> dict[str, runs.Delivery]:
    page = await runtime.services.tasks.deliveries(principal, task_id, ALL)
    return {delivery.address: delivery for delivery in page.items}


async def test_sent_through_the_relay(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    task = await runtime.services.tasks.create(principal, content.task_request())
    assert await make_worker(relay.config()).drain() == 3
    assert sorted(relay.handler.recipients) == ["ann@example.org", "ben@example.org", "cy@example.org"]
    task = await ledger_agrees(runtime, principal, task.id)
    assert (task.state, task.counters.sent) == (tasks.TaskState.DONE, 3)
    by_address = await deliveries_by_address(runtime, principal, task.id)
    ann = next(data for rcpt, data in relay.handler.received if rcpt == "ann@example.org")
    assert f"Message-ID: <{by_address['ann@example.org'].message_id}>".encode() in ann


async def test_hard_bounce_fails_and_suppresses(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    relay.handler.rcpt_replies["ben@example.org"] = ["550 5.1.1 No such user"]
    content = await make_content(principal)
    task = await runtime.services.tasks.create(principal, content.task_request())
    await make_worker(relay.config()).drain()

    task = await ledger_agrees(runtime, principal, task.id)
    assert (task.counters.sent, task.counters.failed, task.state) == (2, 1, tasks.TaskState.DONE)
    ben = (await deliveries_by_address(runtime, principal, task.id))["ben@example.org"]
    assert (ben.state, ben.smtp_code) == (runs.DeliveryState.FAILED, 550)
    assert ben.reason is not None and "5.1.1" in ben.reason
    async with runtime.store.transaction() as repositories:
        listed = await repositories.suppressions.list(
            principal.account_id, ALL, reason=suppressions.SuppressionReason.HARD_BOUNCE
        )
    assert [entry.address for entry in listed.items] == ["ben@example.org"]


async def test_transient_refusal_is_retried_later(
    runtime: bootstrap.Runtime, clock: Any, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    relay.handler.rcpt_replies["ben@example.org"] = ["451 4.3.0 try again later", "250 OK"]
    content = await make_content(principal)
    task = await runtime.services.tasks.create(principal, content.task_request())
    worker = make_worker(relay.config())
    assert await worker.drain() == 3

    waiting = await ledger_agrees(runtime, principal, task.id)
    assert (waiting.counters.sent, waiting.counters.cached, waiting.state) == (2, 1, tasks.TaskState.SENDING)
    ben = (await deliveries_by_address(runtime, principal, task.id))["ben@example.org"]
    assert (ben.state, ben.attempts, ben.smtp_code) == (runs.DeliveryState.QUEUED, 1, 451)
    clock.advance(seconds=29)
    assert await worker.drain() == 0  # backoff not over
    clock.advance(seconds=1)
    assert await worker.drain() == 1
    done = await ledger_agrees(runtime, principal, task.id)
    assert (done.counters.sent, done.state) == (3, tasks.TaskState.DONE)
    assert sorted(relay.handler.recipients) == ["ann@example.org", "ben@example.org", "cy@example.org"]


async def test_refused_login_stops_the_task(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    task = await runtime.services.tasks.create(principal, content.task_request())
    assert await make_worker(relay.config(password="wrong"), concurrency=1).drain() == 3

    stopped = await ledger_agrees(runtime, principal, task.id)
    assert stopped.state is tasks.TaskState.ERROR
    assert stopped.error_message is not None and "535" in stopped.error_message
    assert (stopped.counters.sent, stopped.counters.cached) == (0, 3)
    assert relay.handler.received == []

    # With the right password, resuming retries what was left.
    await runtime.services.tasks.resume(principal, task.id)
    assert await make_worker(relay.config(), name="worker-2").drain() == 3
    done = await ledger_agrees(runtime, principal, task.id)
    assert (done.state, done.counters.sent, done.error_message) == (tasks.TaskState.DONE, 3, None)


async def test_stop_finishes_in_flight_and_releases_the_rest(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    relay.handler.gate = threading.Event()
    content = await make_content(principal, addresses=tuple(f"r{index}@example.org" for index in range(5)))
    task = await runtime.services.tasks.create(principal, content.task_request())
    worker = make_worker(relay.config(), concurrency=1, batch_size=5)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))

    await asyncio.get_running_loop().run_in_executor(None, relay.handler.arrived.wait, 10)
    stop.set()  # one message is inside the relay, four are claimed but not started
    relay.handler.gate.set()
    await asyncio.wait_for(running, 10)

    assert relay.handler.recipients == ["r0@example.org"]
    stopped = await ledger_agrees(runtime, principal, task.id)
    assert (stopped.counters.sent, stopped.counters.cached) == (1, 4)
    queued = await runtime.services.tasks.deliveries(principal, task.id, ALL, state=runs.DeliveryState.QUEUED)
    assert queued.total == 4  # released at once, not left leased until the lease expires
    assert await make_worker(relay.config(), name="worker-2").drain() == 4
    assert (await ledger_agrees(runtime, principal, task.id)).counters.sent == 5


async def test_worker_loop_picks_up_new_tasks(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    stop = asyncio.Event()
    running = asyncio.create_task(make_worker(relay.config()).run(stop))
    task = await runtime.services.tasks.create(principal, content.task_request())
    assert await asyncio.get_running_loop().run_in_executor(None, relay.handler.wait_for, 3)
    stop.set()  # what is in flight is still recorded
    await asyncio.wait_for(running, 10)
    assert (await runtime.services.tasks.get(principal, task.id)).state is tasks.TaskState.DONE
    assert sorted(relay.handler.recipients) == ["ann@example.org", "ben@example.org", "cy@example.org"]
    await ledger_agrees(runtime, principal, task.id)
