"""A relay's daily quota, through real relays (aiosmtpd) and the real store: held across workers and restarts,
refusals do not use it up, tasks wait "suspended" for the relay's midnight and then go on by themselves."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tests.worker.test_relay_sending import ledger_agrees

from mailyard import bootstrap
from mailyard.domain import tasks

pytestmark = pytest.mark.timeout(60)
EVENING = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 23:30 in Asia/Shanghai


async def new_task(runtime: bootstrap.Runtime, team: Any, make_content: Any, recipients: int) -> tuple[Any, Any]:
    """An immediate task of the team's admin to `recipients` addresses r00@, r01@, ...; (principal, task)."""
    principal = team.admin.principal
    content = await make_content(
        principal, addresses=tuple(f"r{number:02}@example.org" for number in range(recipients))
    )
    return principal, await runtime.services.tasks.create(principal, content.task_request())


async def reserve(runtime: bootstrap.Runtime, relay: str, quota: int, day: date, want: int) -> int:
    async with runtime.store.transaction() as repositories:
        return await repositories.quotas.reserve_relay(relay, quota, day, want)


async def test_spent_relay_suspends_tasks_until_its_midnight(
    runtime: bootstrap.Runtime, clock: Any, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    clock.set(EVENING)
    principal, task = await new_task(runtime, team, make_content, 12)
    worker = make_worker(dataclasses.replace(relay.config(), daily_quota=5))

    assert await worker.drain() == 5
    waiting = await ledger_agrees(runtime, principal, task.id)
    assert (waiting.state, waiting.counters.sent, waiting.counters.cached) == (tasks.TaskState.SUSPENDED, 5, 7)

    clock.set(datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC))  # still the same UTC day
    assert await worker.drain() == 0
    clock.set(datetime(2026, 3, 3, 0, 0, 1, tzinfo=UTC))
    assert await worker.drain() == 5
    assert (await ledger_agrees(runtime, principal, task.id)).state is tasks.TaskState.SUSPENDED
    clock.set(datetime(2026, 3, 4, 0, 0, 1, tzinfo=UTC))
    assert await worker.drain() == 2
    done = await ledger_agrees(runtime, principal, task.id)
    assert (done.state, done.counters.sent, done.counters.cached) == (tasks.TaskState.DONE, 12, 0)
    assert len(relay.handler.received) == 12
    # An idle worker gave back the sends it had reserved: what is left of the day is still there.
    assert await reserve(runtime, "test", 5, date(2026, 3, 4), 10) == 3


async def test_the_quota_holds_across_workers(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal, task = await new_task(runtime, team, make_content, 20)
    config = dataclasses.replace(relay.config(), daily_quota=7)
    workers = [make_worker(config, batch_size=3, name=f"worker-{number}") for number in range(3)]

    sent = await asyncio.gather(*(worker.drain() for worker in workers))
    assert sum(sent) == 7 and len(relay.handler.received) == 7
    waiting = await ledger_agrees(runtime, principal, task.id)
    assert (waiting.state, waiting.counters.cached) == (tasks.TaskState.SUSPENDED, 13)


async def test_the_relays_command_shows_todays_use(runtime: bootstrap.Runtime) -> None:
    today = datetime.now(UTC).date()  # the command runs on the real clock
    assert await reserve(runtime, "limited", 7, today, 3) == 3
    shown = relays_command(runtime, "smtp://a.example?name=limited&daily_quota=7,smtp://b.example")
    assert re.search(rf"limited\s.*\s7\s.*{today} \(UTC\)\s.*\s3\s.*\s4\s", shown), shown
    assert re.search(r"b.example:25\s.*unlimited", shown), shown
    listed = json.loads(
        relays_command(runtime, "smtp://a.example?name=limited&daily_quota=7,smtp://b.example", "--json")
    )
    assert listed[0] == {
        "relay": "limited",
        "daily_quota": 7,
        "time_zone": "UTC",
        "day": today.isoformat(),
        "used": 3,
        "left": 4,
    }
    assert listed[1]["daily_quota"] is None and listed[1]["used"] is None


def relays_command(runtime: bootstrap.Runtime, relays: str, *args: str) -> str:
    """`mailyard relays` in its own process, on the test's database."""
    settings = runtime.settings
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    env |= {
        "MAILYARD_DATA_DIR": str(settings.data_dir),
        "MAILYARD_DATABASE_URL": settings.resolved_database_url,
        "MAILYARD_RELAYS": relays,
        "COLUMNS": "200",
    }
    done = subprocess.run(
        [sys.executable, "-m", "mailyard", "relays", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_refused_messages_do_not_use_the_quota(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    relay.handler.rcpt_replies["r01@example.org"] = ["550 5.1.1 no such user"]
    principal, task = await new_task(runtime, team, make_content, 4)

    assert await make_worker(dataclasses.replace(relay.config(), daily_quota=3)).drain() == 4
    done = await ledger_agrees(runtime, principal, task.id)
    assert (done.state, done.counters.sent, done.counters.failed) == (tasks.TaskState.DONE, 3, 1)


async def test_an_unlimited_relay_keeps_tasks_sending(
    runtime: bootstrap.Runtime, relay: Any, other_relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal, task = await new_task(runtime, team, make_content, 10)
    limited = dataclasses.replace(relay.config(), name="limited", daily_quota=2)
    unlimited = dataclasses.replace(other_relay.config(), name="unlimited")

    assert await make_worker([limited, unlimited], batch_size=5).drain() == 10
    assert len(relay.handler.received) <= 2
    assert len(relay.handler.received) + len(other_relay.handler.received) == 10
    assert (await ledger_agrees(runtime, principal, task.id)).state is tasks.TaskState.DONE


async def test_the_relay_day_follows_its_time_zone(
    runtime: bootstrap.Runtime, clock: Any, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    clock.set(EVENING)
    principal, task = await new_task(runtime, team, make_content, 2)
    worker = make_worker(dataclasses.replace(relay.config(), daily_quota=1, time_zone="Asia/Shanghai"))

    assert await worker.drain() == 1
    clock.set(datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC))  # 23:59:59 in Shanghai
    assert await worker.drain() == 0
    clock.set(datetime(2026, 3, 2, 16, 0, 1, tzinfo=UTC))  # a new day there, not yet in UTC
    assert await worker.drain() == 1
    assert (await ledger_agrees(runtime, principal, task.id)).state is tasks.TaskState.DONE


async def test_a_restarted_worker_finds_the_day_already_spent(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    await new_task(runtime, team, make_content, 6)
    config = dataclasses.replace(relay.config(), daily_quota=4)

    assert await make_worker(config, batch_size=2, name="before").drain() == 4
    assert await make_worker(config, batch_size=2, name="after").drain() == 0
    assert len(relay.handler.received) == 4
