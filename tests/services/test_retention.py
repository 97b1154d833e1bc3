"""Retention: the outbox's copies, the ledger's finished deliveries, events and the webhooks done with them older
than their limit are purged in small batches (by `mailyard db purge` and in the workers' background); open
deliveries, webhooks still to post, counters and statistics stay."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import paging, runs, webhooks
from mailyard.domain.retention import RetainedKind, RetentionPolicy
from mailyard.services.retention import RetentionService
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ADDRESSES = tuple(f"reader{index}@example.org" for index in range(5))
WINDOW = paging.Window(offset=0, limit=100)


async def _sent_task(runtime: bootstrap.Runtime, principal: Any, content: Any) -> int:
    task = await runtime.services.tasks.create(principal, content.task_request())
    await bootstrap.create_worker(runtime).drain()
    return int(task.id)


async def test_old_copies_and_finished_deliveries_are_purged_in_batches(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=ADDRESSES)
    sent = await _sent_task(runtime, principal, content)
    clock.advance(days=8)
    waiting = await runtime.services.tasks.create(principal, content.task_request(name="waiting"))
    await runtime.services.scheduling.fire_due()  # queued, never sent: must survive any purge
    clock.advance(days=8)
    retention = RetentionService(runtime.store, clock, RetentionPolicy(outbox_days=7, deliveries_days=7))

    assert await retention.purge_batch(limit=2) == {RetainedKind.OUTBOX: 2, RetainedKind.DELIVERIES: 2}
    assert await retention.purge(limit=2) == {RetainedKind.OUTBOX: 3, RetainedKind.DELIVERIES: 3}

    assert (await runtime.services.outbox.list(principal, WINDOW)).total == 0
    assert (await runtime.services.tasks.deliveries(principal, sent, WINDOW, state=None)).total == 0
    kept = await runtime.services.tasks.deliveries(principal, waiting.id, WINDOW, state=runs.DeliveryState.QUEUED)
    assert kept.total == len(ADDRESSES)
    assert (await runtime.services.tasks.get(principal, sent)).counters.sent == len(ADDRESSES)


async def test_recent_records_and_unset_limits_are_kept(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    await _sent_task(runtime, principal, await make_content(principal, addresses=ADDRESSES))
    clock.advance(days=3)
    assert await RetentionService(runtime.store, clock, RetentionPolicy(outbox_days=7)).purge() == {
        RetainedKind.OUTBOX: 0
    }
    assert await RetentionService(runtime.store, clock, RetentionPolicy()).purge() == {}
    assert (await runtime.services.outbox.list(principal, WINDOW)).total == len(ADDRESSES)


async def test_workers_purge_in_the_background(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    await _sent_task(runtime, principal, await make_content(principal, addresses=ADDRESSES))
    clock.advance(days=2)
    retention = RetentionService(runtime.store, clock, RetentionPolicy(outbox_days=1))
    options = WorkerOptions(poll_seconds=0.05, schedule_every=0.05, purge_every=0.05)
    worker = Worker(runtime.services.sending, runtime.services.scheduling, options, retention=retention)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(200):
            if (await runtime.services.outbox.list(principal, WINDOW)).total == 0:
                break
            await asyncio.sleep(0.05)
        assert (await runtime.services.outbox.list(principal, WINDOW)).total == 0
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


async def test_old_events_and_posted_webhooks_are_purged(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    async with runtime.store.transaction() as repositories:  # an endpoint, so each event queues a webhook
        await repositories.webhooks.create_endpoint(
            account_id=team.account_id,
            url="https://hooks.example.com/in",
            event_types=frozenset(webhooks.check_events(None)),
            custom=None,
            sender=None,
            secret_sealed="unused",
        )
    sent = await _sent_task(runtime, principal, await make_content(principal, addresses=ADDRESSES))
    async with runtime.store.transaction() as repositories:
        queued = await repositories.webhooks.claim(10, clock.now())
        for message in queued[1:]:  # the first one is still to be posted
            await repositories.webhooks.finish(
                message.id, state=webhooks.MessageState.DONE, attempts=1, next_attempt_at=None, status=200, answer=""
            )
    clock.advance(days=3)
    retention = RetentionService(runtime.store, clock, RetentionPolicy(events_days=2))

    assert await retention.purge(limit=2) == {RetainedKind.EVENTS: 5, RetainedKind.WEBHOOKS: 4}
    assert (await runtime.services.engagement.list_events(principal, sent, WINDOW)).total == 0
    async with runtime.store.transaction() as repositories:
        assert (await repositories.webhooks.backlog()).pending == 1
    assert (await runtime.services.engagement.totals(principal, sent)).delivered == len(ADDRESSES)
    assert await RetentionService(runtime.store, clock, RetentionPolicy(events_days=4)).purge() == {
        RetainedKind.EVENTS: 0,
        RetainedKind.WEBHOOKS: 0,
    }


def test_db_purge_command(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    env.update({"MAILYARD_DATA_DIR": str(tmp_path / "data"), "MAILYARD_RETAIN_OUTBOX_DAYS": "30"})
    done = subprocess.run(
        [sys.executable, "-m", "mailyard", "db", "purge"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "outbox: 0 purged"
