"""The native API's engagement totals and event pages: a task's events, one delivery's, and nobody else's."""

from __future__ import annotations

from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)


async def test_engagement_and_events_pages(
    api: Any, runtime: bootstrap.Runtime, team: Any, rival: Any, make_content: Any
) -> None:
    alice, bob = team.admin, team.members[0]
    content = await make_content(alice.principal)
    task = await runtime.services.tasks.create(alice.principal, content.task_request())
    await Worker(runtime.services.sending, runtime.services.scheduling, WorkerOptions(), name="t").drain()

    totals = (await api.get(f"/v1/tasks/{task.id}/engagement", auth=alice.auth)).json()
    assert totals["delivered"] == 3 and totals["unique_opens"] == 0 and totals["hard_bounces"] == 0
    page = (await api.get(f"/v1/tasks/{task.id}/events", params={"limit": 2}, auth=alice.auth)).json()
    assert (page["total"], len(page["items"])) == (3, 2)
    first = page["items"][0]
    assert (first["event"], first["email"], first["task_id"]) == ("delivered", "ann@example.org", task.id)
    path = f"/v1/tasks/{task.id}/deliveries/{first['delivery_id']}/events"
    one = (await api.get(path, auth=alice.auth)).json()
    assert [item["id"] for item in one["items"]] == [first["id"]]

    # Members see only their own and granted tasks; other accounts see nothing.
    assert (await api.get(f"/v1/tasks/{task.id}/events", auth=bob.auth)).status_code == 403
    assert (await api.get(f"/v1/tasks/{task.id}/engagement", auth=rival.admin.auth)).status_code == 404
    assert (await api.get(path, auth=rival.admin.auth)).status_code == 404
    assert (await api.get(f"/v1/tasks/{task.id}/events", params={"limit": 0}, auth=alice.auth)).status_code == 422
