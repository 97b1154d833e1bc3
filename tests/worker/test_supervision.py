"""Background loops survive failing steps: a database error while the outbox stores a copy, or while claiming,
is logged and retried after a pause; the loop reports itself failing meanwhile and recovers by itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url

from mailyard import bootstrap
from mailyard.domain import paging, tasks
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.store import engine as engines
from mailyard.worker.runner import SENDER_LOOP, Worker, WorkerOptions
from mailyard.worker.supervision import Supervisor

pytestmark = pytest.mark.timeout(120)
ADDRESSES = ("ann@example.org", "ben@example.org", "cy@example.org")


async def _execute(database_url: str, statement: str) -> None:
    """A statement from another connection, as an operator or another process would run it."""
    engine = engines.create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _eventually(condition: Callable[[], Any], seconds: float = 20) -> None:
    """Poll what only the database can tell (a task's state); the loops' own states are awaited as events."""
    for _ in range(int(seconds / 0.05)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {seconds} s")


async def _done(runtime: bootstrap.Runtime, principal: Any, task_id: int) -> bool:
    found = await runtime.services.tasks.get(principal, task_id)
    return bool(found.state is tasks.TaskState.DONE)


@pytest.fixture
async def running(runtime: bootstrap.Runtime) -> AsyncIterator[Worker]:
    supervisor = Supervisor(first_backoff=0.05, max_backoff=0.2)
    options = WorkerOptions(concurrency=4, batch_size=10, poll_seconds=0.05, schedule_every=0.05)
    worker = Worker(runtime.services.sending, runtime.services.scheduling, options, supervisor=supervisor)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    yield worker
    stop.set()
    await asyncio.wait_for(loop, 10)


async def test_the_sender_survives_the_outbox_failing_to_store_copies(
    runtime: bootstrap.Runtime,
    database_url: str,
    clock: Any,
    team: Any,
    make_content: Any,
    running: Worker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=ADDRESSES)
    await _execute(database_url, "ALTER TABLE outbox_messages RENAME TO outbox_messages_away")
    task = await runtime.services.tasks.create(principal, content.task_request())

    # The failing round defers its copies, so the next round may find nothing to claim and pass: count failures.
    await asyncio.wait_for(running.supervisor.wait_until(lambda s: s.loop(SENDER_LOOP).failures > 0), 20)
    assert running.supervisor.report()[SENDER_LOOP]["last_error"] in ("ProgrammingError", "OperationalError")
    assert "background loop 'sender' failed" in caplog.text
    assert ADDRESSES[0] not in caplog.text  # the failed statement's parameters are not logged

    await _execute(database_url, "ALTER TABLE outbox_messages_away RENAME TO outbox_messages")
    clock.advance(hours=1)  # the copies not stored were deferred by the retry policy

    await _eventually(lambda: _done(runtime, principal, task.id))
    await asyncio.wait_for(running.supervisor.wait_until(lambda s: s.healthy), 20)
    finished = await runtime.services.tasks.get(principal, task.id)
    kept = await runtime.services.outbox.list(principal, paging.Window(offset=0, limit=10))
    assert (finished.counters.sent, kept.total) == (len(ADDRESSES), len(ADDRESSES))


async def test_the_sender_survives_failing_claims_and_says_so(
    runtime: bootstrap.Runtime, database_url: str, team: Any, make_content: Any, running: Worker
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=ADDRESSES)
    await _execute(database_url, "ALTER TABLE deliveries RENAME TO deliveries_away")
    await asyncio.wait_for(running.supervisor.wait_until(lambda s: not s.healthy), 20)
    await _execute(database_url, "ALTER TABLE deliveries_away RENAME TO deliveries")
    task = await runtime.services.tasks.create(principal, content.task_request())

    await _eventually(lambda: _done(runtime, principal, task.id))
    await asyncio.wait_for(running.supervisor.wait_until(lambda s: s.healthy), 20)


@pytest.mark.postgres
@pytest.mark.parametrize("database_kind", ["postgres"])
async def test_the_sender_survives_its_connections_being_terminated(
    runtime: bootstrap.Runtime, database_url: str, clock: Any, team: Any, make_content: Any, running: Worker
) -> None:
    principal = team.admin.principal
    addresses = tuple(f"reader{index}@example.org" for index in range(200))
    content = await make_content(principal, addresses=addresses)
    task = await runtime.services.tasks.create(principal, content.task_request())

    async def some_kept() -> bool:
        page = await runtime.services.outbox.list(principal, paging.Window(offset=0, limit=1))
        return page.total > 0

    await _eventually(some_kept)
    database = make_url(database_url).database
    await _execute(
        database_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        f" WHERE datname = '{database}' AND pid <> pg_backend_pid()",
    )

    async def settled() -> bool:
        clock.advance(minutes=5)  # leases of batches whose recording was cut expire, deferred copies come due
        try:
            return await _done(runtime, principal, task.id)
        except exc.DBAPIError as error:  # this read may be the first to meet a cut connection: it is replaced
            if not error.connection_invalidated:
                raise
            return False

    await _eventually(settled, seconds=40)
    kept = await runtime.services.outbox.list(principal, paging.Window(offset=0, limit=paging.MAX_PAGE_SIZE))
    assert {message.recipient for message in kept.items} == set(addresses)
    finished = await runtime.services.tasks.get(principal, task.id)
    assert finished.counters.sent == len(addresses)


async def test_a_loop_that_ends_while_failing_leaves_the_process_ready() -> None:
    """A batch's lease renewal that failed just before its batch finished must not keep /readyz at 503."""
    supervisor = Supervisor(first_backoff=0.01, max_backoff=0.01)
    done = asyncio.Event()

    async def renew() -> None:
        done.set()  # the batch finishes while this renewal fails
        raise ConnectionResetError("the database went away")

    await asyncio.wait_for(supervisor.run("lease renewal", renew, done), 5)
    assert supervisor.healthy and supervisor.report()["lease renewal"]["failures"] == 1


def test_backoff_doubles_up_to_its_cap() -> None:
    supervisor = Supervisor(first_backoff=0.5, max_backoff=30)
    assert [supervisor.backoff(failures) for failures in (1, 2, 3, 7, 50)] == [0.5, 1.0, 2.0, 30.0, 30.0]
    assert supervisor.backoff(3, max_backoff=1.5) == 1.5


async def test_many_tasks_due_at_once_start_without_waiting_a_tick_per_batch(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    """More due tasks than one tick fires (a batch of 100) all start at once, not one batch per tick."""
    principal = team.admin.principal
    content = await make_content(principal, addresses=ADDRESSES[:1])
    async with runtime.engine.begin() as connection:  # signing would only cost CPU here
        await connection.execute(text("UPDATE sending_domains SET sealed_dkim_key = ''"))
    due = Schedule(type=TaskType.SCHEDULED, begin_at=clock.now() + timedelta(hours=1))
    for index in range(150):
        await runtime.services.tasks.create(principal, content.task_request(name=f"task {index}", schedule=due))
    clock.advance(hours=2)  # all 150 due in the same second
    options = WorkerOptions(poll_seconds=60, schedule_every=60)  # a tick a minute: only the first would run
    worker = Worker(runtime.services.sending, runtime.services.scheduling, options)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:

        async def all_started() -> bool:
            async with runtime.engine.connect() as connection:
                return int((await connection.execute(text("SELECT count(*) FROM runs"))).scalar_one()) == 150

        await _eventually(all_started, seconds=90)
    finally:
        stop.set()
        await asyncio.wait_for(running, 60)
