"""The crash contract with real processes: three `mailyard worker` processes on one PostgreSQL database send a
20,000-recipient task into a real SMTP sink, with and without SIGKILLs; and a SIGTERM stops a worker cleanly.

The contract (the README's "Scaling out"; docs/performance.md, "Soak: faults and crashes"): no recipient is
ever skipped; a second copy only for messages in flight at a kill, so duplicates are bounded by what a killed
worker held; a resent copy keeps its Message-ID; counters equal the ledger; the task ends done.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from sqlalchemy import text
from tests.acceptance.conftest import Sink, WorkerProcess, wait_until

from mailyard import bootstrap
from mailyard.domain import accounts, message_ids, tasks
from mailyard.worker.runner import WorkerOptions

pytestmark = [pytest.mark.acceptance, pytest.mark.postgres, pytest.mark.timeout(300)]
RECIPIENTS = 20_000
WORKERS = 3
CONCURRENCY = BATCH = 16
# A worker holds at most `pipeline` batches of leases; every leased message may have been sent but not yet
# recorded when it dies, so that is what one kill can duplicate.
HELD_PER_WORKER = BATCH * getattr(WorkerOptions(), "pipeline", 1)
KILLS = 5


async def big_task(runtime: bootstrap.Runtime, team: Any, make_content: Any, count: int) -> tuple[int, list[str]]:
    addresses = [f"reader{index:05d}@example.org" for index in range(count)]
    content = await make_content(team.admin.principal, addresses=tuple(addresses))
    # Signing is tested elsewhere (tests/worker/test_dkim_sending.py); here it would only spend CPU.
    async with runtime.engine.begin() as connection:
        await connection.execute(text("UPDATE sending_domains SET sealed_dkim_key = ''"))
    task = await runtime.services.tasks.create(team.admin.principal, content.task_request())
    return task.id, addresses


async def scalar(runtime: bootstrap.Runtime, sql: str, **values: Any) -> int:
    async with runtime.engine.connect() as connection:
        return int((await connection.execute(text(sql), values)).scalar_one())


async def leases_of(runtime: bootstrap.Runtime, worker: WorkerProcess) -> int:
    """Deliveries leased by a worker process right now (lease owners are host:pid:random)."""
    sql = "SELECT count(*) FROM deliveries WHERE state = 'sending' AND lease_owner LIKE :owner"
    return await scalar(runtime, sql, owner=f"%:{worker.pid}:%")


async def wait_done(runtime: bootstrap.Runtime, principal: accounts.Principal, task_id: int, workers: Any) -> None:
    async def done() -> bool:
        return (await runtime.services.tasks.get(principal, task_id)).state is tasks.TaskState.DONE

    try:
        await wait_until(done, 240, "the task to be done")
    except BaseException:
        print("\n".join(worker.tail() for worker in workers))
        raise


async def check_ledger(runtime: bootstrap.Runtime, principal: accounts.Principal, task_id: int) -> dict[str, str]:
    """Counters equal the ledger, everything was sent; the Message-ID of each address's delivery."""
    async with runtime.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT d.id, d.run_id, d.address, d.state, t.from_address, r.message_key FROM deliveries d "
                    "JOIN tasks t ON t.id = d.task_id JOIN runs r ON r.id = d.run_id WHERE d.task_id = :task"
                ),
                {"task": task_id},
            )
        ).all()
    states = Counter(row.state for row in rows)
    task = await runtime.services.tasks.get(principal, task_id)
    counters = task.counters
    assert states == {"sent": RECIPIENTS}
    assert (counters.requested, counters.sent, counters.cached, counters.failed) == (RECIPIENTS, RECIPIENTS, 0, 0)
    assert task.state is tasks.TaskState.DONE
    return {
        row.address: message_ids.message_id(
            run_key=row.message_key, run_id=row.run_id, delivery_id=row.id, from_address=row.from_address
        )
        for row in rows
    }


def copies_by_recipient(sink: Sink) -> dict[str, list[str]]:
    copies: dict[str, list[str]] = defaultdict(list)
    for rcpt, received_id in sink.records():
        copies[rcpt].append(received_id)
    return copies


async def stop_all(workers: list[WorkerProcess]) -> None:
    for worker in workers:
        assert worker.terminate() == 0, worker.tail()


async def test_every_recipient_exactly_once_without_kills(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, start_sink: Any, start_workers: Any
) -> None:
    principal = team.admin.principal
    task_id, addresses = await big_task(runtime, team, make_content, RECIPIENTS)
    sink = start_sink()
    workers = start_workers(sink, WORKERS, concurrency=CONCURRENCY, batch_size=BATCH)
    await wait_done(runtime, principal, task_id, workers)
    await stop_all(workers)

    expected_ids = await check_ledger(runtime, principal, task_id)
    copies = copies_by_recipient(sink)
    assert sorted(copies) == addresses
    assert {len(ids) for ids in copies.values()} == {1}
    assert all(ids == [expected_ids[rcpt]] for rcpt, ids in copies.items())


async def test_sigkill_mid_send_skips_nobody_and_bounds_duplicates(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, start_sink: Any, start_workers: Any
) -> None:
    principal = team.admin.principal
    task_id, addresses = await big_task(runtime, team, make_content, RECIPIENTS)
    sink = start_sink()
    workers = start_workers(sink, WORKERS, concurrency=CONCURRENCY, batch_size=BATCH)
    victim = workers[0]
    killed_holding = []
    for kill in range(KILLS):
        threshold = 1_500 + kill * 2_500
        await wait_until(lambda threshold=threshold: sink.count() >= threshold, 60, f"{threshold} messages")
        await wait_until(lambda: leases_of(runtime, victim), 30, "the victim to hold leases (mid-send)")
        killed_holding.append(await leases_of(runtime, victim))
        victim.kill()
        victim.start()
    await wait_done(runtime, principal, task_id, workers)
    await stop_all(workers)

    expected_ids = await check_ledger(runtime, principal, task_id)
    copies = copies_by_recipient(sink)
    assert sorted(copies) == addresses, "a recipient was skipped"
    duplicates = sum(len(ids) - 1 for ids in copies.values())
    assert duplicates <= KILLS * HELD_PER_WORKER, (duplicates, killed_holding)
    # Every copy, first or resent, carries the Message-ID of its delivery.
    assert all(set(ids) == {expected_ids[rcpt]} for rcpt, ids in copies.items())
    print(f"{duplicates} duplicates after {KILLS} kills (leases held at the kills: {killed_holding})")


async def test_sigterm_finishes_in_flight_releases_the_rest_and_exits_0(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, start_sink: Any, start_workers: Any
) -> None:
    principal = team.admin.principal
    count = 2_000
    task_id, _ = await big_task(runtime, team, make_content, count)
    sink = start_sink(delay=0.05)  # slow: messages are in flight when the signal comes
    (worker,) = start_workers(sink, 1, concurrency=8, batch_size=8)
    await wait_until(lambda: sink.count() >= 50, 60, "the first messages")
    await wait_until(lambda: leases_of(runtime, worker), 30, "leases held")
    assert worker.terminate(timeout=20) == 0, worker.tail()

    leased = await scalar(runtime, "SELECT count(*) FROM deliveries WHERE state = 'sending'")
    sent = await scalar(
        runtime, "SELECT count(*) FROM deliveries WHERE task_id = :task AND state = 'sent'", task=task_id
    )
    queued = await scalar(
        runtime,
        "SELECT count(*) FROM deliveries WHERE task_id = :task AND state = 'queued' AND lease_owner IS NULL",
        task=task_id,
    )
    copies = copies_by_recipient(sink)
    assert leased == 0, "the rest of the batches was released"
    assert len(copies) == sent == sum(len(ids) for ids in copies.values()), "each message in flight was recorded"
    assert sent + queued == count and queued > 0
    task = await runtime.services.tasks.get(principal, task_id)
    assert (task.counters.sent, task.counters.cached) == (sent, queued)
