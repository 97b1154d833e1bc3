"""Tasks: create, list, act on them, share them, and read their runs and deliveries."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from mailyard.domain import identifiers, runs, tasks
from mailyard.domain.tracking import TrackingOptions
from mailyard.domain.unsubscribe import LANGUAGE_TAGS
from mailyard.errors import InvalidInput
from mailyard.services.tasks import TaskRequest
from mailyard.web.api import mapping, schemas
from mailyard.web.api.auth import CurrentPrincipal, ServicesDep
from mailyard.web.api.paging import PageWindow

router = APIRouter(tags=["tasks"])
PositiveId = Annotated[int, Path(ge=1, le=identifiers.MAX_ID)]
TaskStateName = Literal["pending", "sending", "suspended", "error", "done", "cancelled"]
DeliveryStateName = Literal["queued", "sending", "sent", "failed", "skipped"]


def _schedule(body: schemas.ScheduleIn) -> tasks.Schedule:
    if body.begin_at is not None and body.begin_at.tzinfo is None:
        raise InvalidInput("begin_at needs a UTC offset, e.g. 2026-01-31T09:00:00+08:00", field="schedule.begin_at")
    return tasks.Schedule(
        type=mapping.TYPES_BY_NAME[body.type], begin_at=body.begin_at, interval_hours=body.interval_hours
    )


@router.post("/tasks", status_code=status.HTTP_201_CREATED)
async def create_task(body: schemas.TaskIn, principal: CurrentPrincipal, services: ServicesDep) -> schemas.TaskOut:
    request = TaskRequest(
        name=body.name,
        from_address=body.from_address,
        reply_to=body.reply_to,
        subject=body.subject,
        template_id=body.template_id,
        variables=body.variables,
        recipient_list_id=body.recipient_list_id,
        schedule=_schedule(body.schedule),
        unsubscribe=LANGUAGE_TAGS[body.unsubscribe] if body.unsubscribe else None,
        tracking=TrackingOptions(opens=body.tracking.opens, clicks=body.tracking.clicks) if body.tracking else None,
    )
    return mapping.task_out(await services.tasks.create(principal, request))


@router.get("/tasks", responses=schemas.page_example(schemas.TaskOut))
async def list_tasks(
    principal: CurrentPrincipal,
    services: ServicesDep,
    window: PageWindow,
    state: TaskStateName | None = None,
    type: Literal["immediate", "scheduled", "recurring"] | None = None,
    recipient_list_id: Annotated[int | None, Query(ge=1, le=identifiers.MAX_ID)] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    paused: bool | None = None,
) -> schemas.PageOut[schemas.TaskOut]:
    task_filter = tasks.TaskFilter(
        state=tasks.TaskState(state) if state else None,
        type=mapping.TYPES_BY_NAME[type] if type else None,
        recipient_list_id=recipient_list_id,
        owner_nickname=owner,
        paused=paused,
    )
    page = await services.tasks.list(principal, task_filter, window)
    items = [mapping.task_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)


@router.get("/tasks/{task_id}")
async def get_task(task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> schemas.TaskOut:
    return mapping.task_out(await services.tasks.get(principal, task_id))


@router.post("/tasks/{task_id}/pause")
async def pause_task(task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> schemas.TaskOut:
    return mapping.task_out(await services.tasks.pause(principal, task_id))


@router.post("/tasks/{task_id}/resume")
async def resume_task(task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> schemas.TaskOut:
    return mapping.task_out(await services.tasks.resume(principal, task_id))


@router.post("/tasks/{task_id}/cancel")
async def cancel_task(task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> schemas.TaskOut:
    return mapping.task_out(await services.tasks.cancel(principal, task_id))


@router.post("/tasks/{task_id}/run", status_code=status.HTTP_201_CREATED)
async def run_task(task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep) -> schemas.RunOut:
    return mapping.run_out(await services.tasks.run_now(principal, task_id))


@router.post("/tasks/{task_id}/grants", status_code=status.HTTP_201_CREATED)
async def grant_task(
    task_id: PositiveId, body: schemas.GrantIn, principal: CurrentPrincipal, services: ServicesDep
) -> schemas.UserOut:
    return mapping.user_out(await services.tasks.grant(principal, task_id, body.nickname))


@router.delete("/tasks/{task_id}/grants/{nickname}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_task(
    task_id: PositiveId,
    nickname: Annotated[str, Path(min_length=1, max_length=100)],
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> None:
    await services.tasks.revoke(principal, task_id, nickname)


@router.get("/tasks/{task_id}/runs")
async def list_runs(
    task_id: PositiveId, principal: CurrentPrincipal, services: ServicesDep, window: PageWindow
) -> schemas.PageOut[schemas.RunOut]:
    page = await services.tasks.list_runs(principal, task_id, window)
    items = [mapping.run_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)


@router.get("/tasks/{task_id}/deliveries")
async def list_deliveries(
    task_id: PositiveId,
    principal: CurrentPrincipal,
    services: ServicesDep,
    window: PageWindow,
    run_id: Annotated[int | None, Query(ge=1, le=identifiers.MAX_ID)] = None,
    state: DeliveryStateName | None = None,
) -> schemas.PageOut[schemas.DeliveryOut]:
    page = await services.tasks.deliveries(
        principal, task_id, window, run_id=run_id, state=runs.DeliveryState(state) if state else None
    )
    items = [mapping.delivery_out(item) for item in page.items]
    return schemas.PageOut(items=items, total=page.total, offset=window.offset, limit=window.limit)
