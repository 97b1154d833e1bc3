"""Template review (MAILYARD_TEMPLATE_REVIEW=on): admins approve or reject, and an unapproved template is
refused when a task is created, when a run starts and when its message is built."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import paging, runs, tasks, templates
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.errors import Conflict, Forbidden, NotFound
from mailyard.settings import Settings
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=100)
PENDING = templates.ReviewStatus.PENDING


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, identity_verification="trust", template_review="on"
    )


@pytest.fixture
def worker(runtime: bootstrap.Runtime) -> Worker:
    services = runtime.services
    return Worker(services.sending, services.scheduling, WorkerOptions(batch_size=10, concurrency=2), name="test")


async def change_template(runtime: bootstrap.Runtime, principal: Any, template_id: int) -> templates.Template:
    return await runtime.services.templates.update(
        principal, template_id, name="greeting", subject=None, text="Changed {{name}}", html=None
    )


async def test_only_admins_review_and_only_approved_templates_make_tasks(
    runtime: bootstrap.Runtime, team: Any, rival: Any, make_content: Any
) -> None:
    service = runtime.services.templates
    content = await make_content(team.admin.principal)
    assert (await service.get(team.admin.principal, content.template_id)).review_status is PENDING
    with pytest.raises(Conflict) as refused:
        await runtime.services.tasks.create(team.admin.principal, content.task_request())
    assert refused.value.code == "template_not_approved"

    with pytest.raises(Forbidden):
        await service.approve(team.members[0].principal, content.template_id)
    with pytest.raises(NotFound):
        await service.approve(rival.admin.principal, content.template_id)
    assert (await service.get(team.admin.principal, content.template_id)).review_status is PENDING

    approved = await service.approve(team.admin.principal, content.template_id)
    assert approved.review_status is templates.ReviewStatus.APPROVED
    task = await runtime.services.tasks.create(team.members[0].principal, content.task_request())
    assert task.state is tasks.TaskState.SENDING

    rejected = await service.reject(team.admin.principal, content.template_id)
    assert rejected.review_status is templates.ReviewStatus.REJECTED
    with pytest.raises(Conflict, match="rejected"):
        await runtime.services.tasks.create(team.admin.principal, content.task_request())


async def test_a_template_back_in_review_stops_its_recurring_task_until_resumed(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any, worker: Worker
) -> None:
    admin = team.admin.principal
    content = await make_content(admin)
    await runtime.services.templates.approve(admin, content.template_id)
    schedule = Schedule(type=TaskType.RECURRING, begin_at=clock.now() + timedelta(hours=1), interval_hours=24)
    task = await runtime.services.tasks.create(admin, content.task_request(schedule=schedule))
    await change_template(runtime, admin, content.template_id)  # back to "pending"

    with pytest.raises(Conflict) as refused:
        await runtime.services.tasks.run_now(admin, task.id)
    assert refused.value.code == "template_not_approved"
    clock.advance(hours=1)
    assert await worker.drain() == 0
    stopped = await runtime.services.tasks.get(admin, task.id)
    assert stopped.state is tasks.TaskState.ERROR and "not approved" in (stopped.error_message or "")
    assert (await runtime.services.tasks.list_runs(admin, task.id, ALL)).total == 0

    await runtime.services.templates.approve(admin, content.template_id)
    await runtime.services.tasks.resume(admin, task.id)
    assert await worker.drain() == 3
    resumed = await runtime.services.tasks.get(admin, task.id)
    assert (resumed.state, resumed.counters.sent) == (tasks.TaskState.PENDING, 3)


async def test_a_run_in_flight_sends_nothing_of_a_template_back_in_review(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, worker: Worker
) -> None:
    admin = team.admin.principal
    content = await make_content(admin)
    await runtime.services.templates.approve(admin, content.template_id)
    task = await runtime.services.tasks.create(admin, content.task_request())
    await change_template(runtime, admin, content.template_id)

    await worker.drain()
    stopped = await runtime.services.tasks.get(admin, task.id)
    assert (stopped.state, stopped.counters.sent) == (tasks.TaskState.ERROR, 0)
    assert "not approved" in (stopped.error_message or "")
    assert (await runtime.services.outbox.list(admin, ALL, task_id=task.id)).total == 0

    await runtime.services.templates.approve(admin, content.template_id)
    await runtime.services.tasks.resume(admin, task.id)
    assert await worker.drain() == 3
    done = await runtime.services.tasks.get(admin, task.id)
    assert (done.state, done.counters.sent) == (tasks.TaskState.DONE, 3)
    run = await runtime.services.tasks.get_run(admin, task.id, None)
    assert run is not None and run.status is runs.RunStatus.SENT


async def test_review_through_the_native_api(runtime: bootstrap.Runtime, api: Any, team: Any) -> None:
    body = {"name": "hello", "text": "Hi {{name}}"}
    created = await api.post("/v1/templates", json=body, auth=team.members[0].auth)
    assert created.status_code == 201 and created.json()["review_status"] == "pending"
    template_id = created.json()["id"]

    refused = await api.post(f"/v1/templates/{template_id}/approve", auth=team.members[0].auth)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "admin_required"
    approved = await api.post(f"/v1/templates/{template_id}/approve", auth=team.admin.auth)
    assert approved.status_code == 200 and approved.json()["review_status"] == "approved"
    rejected = await api.post(f"/v1/templates/{template_id}/reject", auth=team.admin.auth)
    assert rejected.status_code == 200 and rejected.json()["review_status"] == "rejected"
    missing = await api.post("/v1/templates/999999/approve", auth=team.admin.auth)
    assert missing.status_code == 404
