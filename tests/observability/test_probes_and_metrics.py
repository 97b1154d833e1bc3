"""`/healthz`, `/readyz` and `/metrics` of `serve`: readiness follows the database schema and the background
loops; metrics count deliveries, the queue and API requests by door and action."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mailyard import bootstrap
from mailyard.worker.runner import SENDER_LOOP

pytestmark = pytest.mark.timeout(60)


async def test_health_and_readiness(api: httpx.AsyncClient, runtime: bootstrap.Runtime) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"database": True, "schema": True, "loops": True}}


async def test_not_ready_while_the_schema_is_behind(api: httpx.AsyncClient, runtime: bootstrap.Runtime) -> None:
    async with runtime.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    answer = await api.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": True, "schema": False, "loops": True}


async def test_not_ready_while_a_background_loop_fails(
    api: httpx.AsyncClient, runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    worker = bootstrap.create_worker(runtime)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        async with runtime.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE deliveries RENAME TO deliveries_away"))
        await asyncio.wait_for(runtime.supervisor.wait_until(lambda s: s.loop(SENDER_LOOP).failing), 20)
        answer = await api.get("/readyz")
        assert (answer.status_code, answer.json()["checks"]["loops"]) == (503, False)
        async with runtime.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE deliveries_away RENAME TO deliveries"))
        await asyncio.wait_for(runtime.supervisor.wait_until(lambda s: s.healthy), 20)
        assert (await api.get("/readyz")).status_code == 200
        assert 'mailyard_loop_failures_total{loop="sender"}' in (await api.get("/metrics")).text
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)


def _sample(exposition: str, series: str) -> float:
    """The value of one series in Prometheus' text format."""
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} not in\n{exposition}")


async def test_metrics_count_deliveries_queue_and_requests(
    api: httpx.AsyncClient, runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    await runtime.services.tasks.create(principal, content.task_request())
    await runtime.services.scheduling.fire_due()
    queued = (await api.get("/metrics")).text
    assert _sample(queued, "mailyard_queue_open_deliveries") == 3

    await bootstrap.create_worker(runtime).drain()
    assert (await api.get("/v1/tasks", auth=team.admin.auth)).status_code == 200
    await api.post("/", headers={"X-TC-Action": "ListSendTasks", "Content-Type": "application/json"}, content="{}")
    await api.post("/", headers={"X-TC-Action": "Made-Up-Action", "Content-Type": "application/json"}, content="{}")

    scraped = (await api.get("/metrics")).text
    assert _sample(scraped, 'mailyard_deliveries_total{outcome="sent"}') == 3
    assert _sample(scraped, 'mailyard_relay_reply_seconds_count{reply_class="2xx"}') == 3
    assert _sample(scraped, "mailyard_queue_open_deliveries") == 0
    assert _sample(scraped, 'mailyard_api_requests_total{action="GET /tasks",door="api",status="2xx"}') == 1
    assert _sample(scraped, 'mailyard_api_requests_total{action="ListSendTasks",door="tencent",status="2xx"}') == 1
    assert _sample(scraped, 'mailyard_api_requests_total{action="other",door="tencent",status="2xx"}') == 1
    assert "Made-Up-Action" not in scraped
