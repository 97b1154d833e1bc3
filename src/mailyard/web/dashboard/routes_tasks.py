"""Tasks: the filtered list, a new task, a task's own page with live progress, and steering it."""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from mailyard.domain import paging, tasks
from mailyard.domain.suppressions import local_day
from mailyard.services.tasks import TaskRequest
from mailyard.web.dashboard import labels, task_forms, task_insight
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import ChangeDep, CookieOptions, SignedInDep, services_of

PAGE_SIZE = 20
DELIVERIES_PAGE_SIZE = 20
RUNS_LISTED = 10
RUNS_CHARTED = 366  #: the latest runs drawn per day on the task page
Id = Annotated[int, Query(ge=1, le=2**63 - 1)]
TaskId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
Action = Literal["pause", "resume", "run", "cancel"]


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/tasks")
    async def task_list(
        request: Request,
        session: SignedInDep,
        status: tasks.TaskState | None = None,
        type: Literal["immediate", "scheduled", "recurring"] | None = None,
        list: Id | None = None,
        owner: Annotated[str | None, Query(max_length=100)] = None,
        paused: Literal["yes", "no"] | None = None,
        page: PageNumber = 1,
    ) -> Response:
        task_filter = tasks.TaskFilter(
            state=status,
            type=labels.TYPE_NAMES[type] if type else None,
            recipient_list_id=list,
            owner_nickname=owner or None,
            paused=None if paused is None else paused == "yes",
        )
        window = paging.Window(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        found = await services_of(request).tasks.list(session.principal, task_filter, window)
        filters = {"status": status, "type": type, "list": list, "owner": owner or "", "paused": paused}
        context = {"page": found, "number": page, "size": PAGE_SIZE, "filters": filters, "labels": labels}
        return pages.render(request, "tasks.html", context, signed_in=session)

    @router.get("/tasks/new")
    async def new_task(request: Request, session: SignedInDep) -> Response:
        choices = await task_forms.choices(services_of(request), session.principal)
        return pages.render(request, "task_new.html", {"choices": choices, "form": {}}, signed_in=session)

    @router.post("/tasks")
    async def create_task(
        request: Request, session: ChangeDep, form: Annotated[task_forms.TaskForm, Form()]
    ) -> Response:
        services = services_of(request)
        task_request: TaskRequest = task_forms.task_request(form, session.principal.time_zone)
        task = await services.tasks.create(session.principal, task_request)
        return RedirectResponse(f"/tasks/{task.id}", status_code=303)

    @router.get("/tasks/{task_id}")
    async def task_page(
        request: Request,
        session: SignedInDep,
        task_id: TaskId,
        address: Annotated[str | None, Query(max_length=254)] = None,
        page: PageNumber = 1,
        start: date | None = None,
        end: date | None = None,
    ) -> Response:
        services, principal = services_of(request), session.principal
        task = await services.tasks.get(principal, task_id)
        today = local_day(services.clock.now(), principal.time_zone)
        window = paging.Window(offset=(page - 1) * DELIVERIES_PAGE_SIZE, limit=DELIVERIES_PAGE_SIZE)
        deliveries = await services.tasks.deliveries(
            principal, task_id, window, address_contains=address or None, failed_first=True
        )
        task_runs = await services.tasks.list_runs(principal, task_id, paging.Window(limit=RUNS_CHARTED))
        # The task's totals, as the native API answers them: its progress, and opens and clicks by origin.
        engagement = await services.engagement.totals(principal, task_id)
        context: dict[str, Any] = {
            "task": task,
            "names": await task_forms.reference_names(services, principal, task),
            "progress": task_forms.progress(task, engagement),
            "engagement": engagement,
            "deliveries": deliveries,
            "runs": task_runs.items[:RUNS_LISTED],
            "chart": task_forms.runs_chart(
                task_runs.items, principal.time_zone, lambda text: pages.gettext(request, text)
            ),
            "address": address or "",
            "number": page,
            "size": DELIVERIES_PAGE_SIZE,
            "labels": labels,
            "can_manage": principal.is_admin or task.owner_id == principal.user_id,
        }
        days = task_insight.date_range(task.created_at, today, principal.time_zone, start, end)
        translate = functools.partial(pages.gettext, request)
        context |= await task_insight.context(services, principal, task, task_runs.items, days, translate)
        return pages.render(request, "task.html", context, signed_in=session)

    @router.get("/tasks/{task_id}/progress")
    async def task_progress(request: Request, session: SignedInDep, task_id: TaskId) -> Response:
        services = services_of(request)
        task = await services.tasks.get(session.principal, task_id)
        colour, status = labels.task_status(task)
        body = {
            **task_forms.progress(task, await services.engagement.totals(session.principal, task_id)),
            "status": colour,
            "status_label": pages.gettext(request, status),
            "live": labels.task_is_live(task),
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @router.post("/tasks/{task_id}/share")
    async def share_task(
        request: Request,
        session: ChangeDep,
        task_id: TaskId,
        nickname: Annotated[str, Form(min_length=1, max_length=100)],
    ) -> Response:
        await services_of(request).tasks.grant(session.principal, task_id, nickname.strip())
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)

    @router.post("/tasks/{task_id}/{action}")
    async def steer_task(request: Request, session: ChangeDep, task_id: TaskId, action: Action) -> Response:
        service, principal = services_of(request).tasks, session.principal
        if action == "pause":
            await service.pause(principal, task_id)
        elif action == "resume":
            await service.resume(principal, task_id)
        elif action == "run":
            await service.run_now(principal, task_id)
        else:
            await service.cancel(principal, task_id)
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)
