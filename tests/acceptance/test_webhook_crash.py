"""At least once, with real processes: a `mailyard worker` killed (SIGKILL) while a webhook is in flight loses
nothing; the next worker posts it again once the lease runs out, with the same webhook-id."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.acceptance.conftest import LEASE_SECONDS, WorkerProcess, wait_until
from tests.worker.webhook_receiver import webhook_receiver

from mailyard import bootstrap
from mailyard.settings import Settings

pytestmark = [pytest.mark.acceptance, pytest.mark.postgres, pytest.mark.timeout(120)]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, identity_verification="trust", webhook_allow_private=True
    )


def worker(settings: Settings, tmp_path: Path, index: int) -> WorkerProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("MAILYARD_")}
    env.update(
        MAILYARD_DATABASE_URL=settings.resolved_database_url,
        MAILYARD_DATA_DIR=str(settings.data_dir),
        MAILYARD_LEASE_SECONDS=str(LEASE_SECONDS),
        MAILYARD_POLL_SECONDS="0.1",
        MAILYARD_WEBHOOK_ALLOW_PRIVATE="1",
    )
    process = WorkerProcess(env, tmp_path, index)
    process.start()
    return process


async def state_of(runtime: bootstrap.Runtime) -> tuple[str, int]:
    async with runtime.engine.connect() as connection:
        row = (await connection.execute(text("SELECT state, attempts FROM webhook_messages"))).one()
    return str(row.state), int(row.attempts)


async def test_a_webhook_in_flight_at_a_kill_is_posted_again(
    runtime: bootstrap.Runtime, settings: Settings, team: Any, tmp_path: Path
) -> None:
    principal = team.admin.principal
    with webhook_receiver() as receiver:
        receiver.hold = threading.Event()
        created = await runtime.services.webhooks.create(principal, url=receiver.url, event_names=["delivered"])
        await runtime.services.webhooks.test(principal, created.endpoint.id, runtime.services.clock.now())
        first = worker(settings, tmp_path, 0)
        await wait_until(receiver.arrived.is_set, 30, "the webhook to reach the receiver")
        first.kill()  # mid-post: the receiver has the request, the worker never sees the answer
        receiver.hold.set()
        assert await state_of(runtime) == ("pending", 0)
        second = worker(settings, tmp_path, 1)
        try:

            async def done() -> bool:
                return (await state_of(runtime))[0] == "done"

            await wait_until(done, 60, "the webhook to be posted again")
        finally:
            second.terminate()
        ids = {received.headers["webhook-id"] for received in receiver.received}
        assert len(receiver.received) >= 2 and len(ids) == 1
