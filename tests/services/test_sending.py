"""The sending engine with the built-in outbox: firing schedules, rendering, recording, counters, outbox API."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import accounts, paging, runs, tasks
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.services.tasks import TaskRequest
from mailyard.settings import Settings
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)


@pytest.fixture
def worker(runtime: bootstrap.Runtime) -> Worker:
    services = runtime.services
    return Worker(services.sending, services.scheduling, WorkerOptions(batch_size=2, concurrency=2), name="test")


async def ledger_agrees(runtime: bootstrap.Runtime, principal: accounts.Principal, task_id: int) -> tasks.Task:
    """The task's counters equal the ledger rows they count; returns the task."""
    service = runtime.services.tasks
    task = await service.get(principal, task_id)
    count: dict[runs.DeliveryState, int] = {}
    for state in runs.DeliveryState:
        count[state] = (await service.deliveries(principal, task_id, ALL, state=state)).total
    counters = task.counters
    assert counters.sent == count[runs.DeliveryState.SENT]
    assert counters.failed == count[runs.DeliveryState.FAILED]
    assert counters.skipped == count[runs.DeliveryState.SKIPPED]
    assert counters.cached == count[runs.DeliveryState.QUEUED] + count[runs.DeliveryState.SENDING]
    assert counters.requested == counters.sent + counters.failed + counters.cached
    return task


async def test_immediate_task_lands_in_the_outbox(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, worker: Worker
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    await runtime.services.recipients.add_recipients(principal, content.list_id, [("dee@example.org", {"name": "Dee"})])
    request = content.task_request(variables={"name": "friend", "city": "Paris"})
    task = await runtime.services.tasks.create(principal, request)

    assert await worker.drain() == 4

    task = await ledger_agrees(runtime, principal, task.id)
    assert (task.state, task.counters.sent, task.counters.cached) == (tasks.TaskState.DONE, 4, 0)
    run = await runtime.services.tasks.get_run(principal, task.id, None)
    assert run is not None and (run.status, run.sent) == (runs.RunStatus.SENT, 4)
    page = await runtime.services.outbox.list(principal, ALL, task_id=task.id)
    assert sorted(item.recipient for item in page.items) == [
        "ann@example.org",
        "ben@example.org",
        "cy@example.org",
        "dee@example.org",
    ]
    dee = next(item for item in page.items if item.recipient == "dee@example.org")
    message = email.message_from_bytes(
        (await runtime.services.outbox.get(principal, dee.id)).content or b"", policy=email.policy.default
    )
    assert message["Subject"] == "Hello Dee"  # recipient variables override the task's
    assert message["Message-ID"] == f"<{dee.message_id}>"
    assert message["From"] == "News <hello@news.example.com>"
    text = message.get_body(("plain",))
    assert text is not None and text.get_content().strip() == "Hello Dee"
    deliveries = await runtime.services.tasks.deliveries(principal, task.id, ALL)
    assert dee.message_id in {delivery.message_id for delivery in deliveries.items}


async def test_scheduled_task_fires_at_its_time(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any, worker: Worker
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    begin = clock.now() + timedelta(hours=2)
    task = await runtime.services.tasks.create(
        principal, content.task_request(schedule=Schedule(type=TaskType.SCHEDULED, begin_at=begin))
    )
    assert await worker.drain() == 0
    clock.advance(hours=1, minutes=59)
    assert await worker.drain() == 0
    clock.advance(minutes=1)
    assert await worker.drain() == 3
    task = await ledger_agrees(runtime, principal, task.id)
    assert (task.state, task.next_fire_at, task.counters.sent) == (tasks.TaskState.DONE, None, 3)


async def test_recurring_task_runs_missed_times_once(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any, worker: Worker
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    begin = clock.now() + timedelta(minutes=10)
    schedule = Schedule(type=TaskType.RECURRING, begin_at=begin, interval_hours=1)
    task = await runtime.services.tasks.create(principal, content.task_request(schedule=schedule))
    clock.advance(minutes=10)
    assert await worker.drain() == 3
    task = await runtime.services.tasks.get(principal, task.id)
    assert (task.state, task.next_fire_at) == (tasks.TaskState.PENDING, begin + timedelta(hours=1))

    clock.advance(hours=5, minutes=30)  # five fire times missed while "down"
    assert await worker.drain() == 3
    page = await runtime.services.tasks.list_runs(principal, task.id, ALL)
    assert [run.fire_at for run in page.items] == [begin + timedelta(hours=5), begin]
    task = await ledger_agrees(runtime, principal, task.id)
    assert task.next_fire_at == begin + timedelta(hours=6)
    assert task.counters.sent == 6


async def test_terminated_recurring_task_runs_once_and_ends(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any, worker: Worker
) -> None:
    """TermCycle 1: the cycle does not repeat; the task runs at its begin time, then is done for good."""
    principal = team.admin.principal
    content = await make_content(principal)
    begin = clock.now() + timedelta(minutes=10)
    schedule = Schedule(type=TaskType.RECURRING, begin_at=begin, interval_hours=1, terminated=True)
    task = await runtime.services.tasks.create(principal, content.task_request(schedule=schedule))
    assert (task.state, task.next_fire_at, task.schedule.terminated) == (tasks.TaskState.PENDING, begin, True)

    clock.advance(minutes=10)
    assert await worker.run_once() == 2  # one batch: the run is still in flight
    sending = await runtime.services.tasks.get(principal, task.id)
    assert (sending.state, sending.next_fire_at) == (tasks.TaskState.SENDING, None)
    assert await worker.drain() == 1
    done = await ledger_agrees(runtime, principal, task.id)
    assert (done.state, done.next_fire_at, done.counters.sent) == (tasks.TaskState.DONE, None, 3)

    clock.advance(hours=5)
    assert await worker.drain() == 0
    assert (await runtime.services.tasks.list_runs(principal, task.id, ALL)).total == 1
    assert (await runtime.services.tasks.get(principal, task.id)).state is tasks.TaskState.DONE


async def test_pause_stops_claiming_and_resume_continues(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, worker: Worker
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=tuple(f"r{index}@example.org" for index in range(5)))
    task = await runtime.services.tasks.create(principal, content.task_request())
    assert await worker.run_once() == 2  # one batch
    await runtime.services.tasks.pause(principal, task.id)
    assert await worker.drain() == 0
    paused = await ledger_agrees(runtime, principal, task.id)
    assert (paused.counters.sent, paused.counters.cached, paused.state) == (2, 3, tasks.TaskState.SENDING)

    await runtime.services.tasks.resume(principal, task.id)
    assert await worker.drain() == 3
    done = await ledger_agrees(runtime, principal, task.id)
    assert (done.counters.sent, done.state) == (5, tasks.TaskState.DONE)


async def test_expired_lease_is_claimed_again(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    task = await runtime.services.tasks.create(principal, content.task_request())
    sending = runtime.services.sending
    lost = await sending.claim("dead-worker", 10)
    assert len(lost) == 3
    assert await sending.claim("live-worker", 10) == []
    clock.advance(seconds=sending.lease_for.total_seconds() + 1)
    again = await sending.claim("live-worker", 10)
    assert [delivery.id for delivery in again] == [delivery.id for delivery in lost]
    assert [delivery.message_id for delivery in again] == [delivery.message_id for delivery in lost]
    assert len({delivery.message_id for delivery in lost}) == 3
    # The dead worker's late report is ignored: the deliveries belong to the live worker now.
    await sending.record("dead-worker", [(delivery, await sending.attempt(delivery)) for delivery in lost])
    assert (await ledger_agrees(runtime, principal, task.id)).counters.sent == 0
    await sending.record("live-worker", [(delivery, await sending.attempt(delivery)) for delivery in again])
    assert (await ledger_agrees(runtime, principal, task.id)).counters.sent == 3


async def first_message_id(runtime: bootstrap.Runtime) -> str:
    """Set up an account sending one task for example.com and claim its first delivery."""
    services = runtime.services
    key = await services.access.issue_key(account_name="acme", nickname="alice", role=accounts.Role.ADMIN)
    principal = await services.access.authenticate(key.secret_id, key.secret_key)
    await services.identities.create_domain(principal, "example.com")
    await services.identities.create_sender(principal, address="hello@example.com", display_name="News")
    template = await services.templates.create(principal, name="greeting", subject="Hi", text="Hello", html=None)
    readers = await services.recipients.create_list(principal, name="readers")
    await services.recipients.add_recipients(principal, readers.id, [("ann@example.org", None)])
    request = TaskRequest(
        name=None,
        from_address="hello@example.com",
        reply_to=None,
        subject="Hi",
        template_id=template.id,
        variables={},
        recipient_list_id=readers.id,
        schedule=Schedule(type=TaskType.IMMEDIATE),
    )
    await services.tasks.create(principal, request)
    [delivery] = await services.sending.claim("worker", 10)
    return delivery.message_id


async def test_fresh_databases_do_not_repeat_message_ids(
    runtime: bootstrap.Runtime, clock: Any, tmp_path: Path
) -> None:
    """Receivers drop a Message-ID they have seen: run 1, delivery 1 of two installations must differ."""
    other_settings = Settings(
        data_dir=tmp_path / "other",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'other.db'}",
        identity_verification="trust",
    )
    other = await bootstrap.open_runtime(other_settings, clock=clock)
    try:
        ours, theirs = await first_message_id(runtime), await first_message_id(other)
    finally:
        await other.close()
    assert ours.endswith("@example.com") and theirs.endswith("@example.com")
    assert ours != theirs


async def test_outbox_api(
    runtime: bootstrap.Runtime, api: Any, team: Any, rival: Any, make_content: Any, worker: Worker
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=("ann@example.org",))
    await runtime.services.tasks.create(principal, content.task_request())
    await worker.drain()

    listing = await api.get("/v1/outbox", auth=team.admin.auth)
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["total"] == 1 and body["items"][0]["recipient"] == "ann@example.org"
    message_id = body["items"][0]["id"]
    raw = await api.get(f"/v1/outbox/{message_id}", auth=team.admin.auth)
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("message/rfc822")
    assert b"To: ann@example.org\r\n" in raw.content and len(raw.content) == body["items"][0]["size"]

    assert (await api.get("/v1/outbox", auth=rival.admin.auth)).json()["total"] == 0
    assert (await api.get(f"/v1/outbox/{message_id}", auth=rival.admin.auth)).status_code == 404
    assert (await api.get("/v1/outbox", auth=team.members[0].auth)).json()["total"] == 0  # not bob's task
