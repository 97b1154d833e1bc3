"""Firing a task: start a run for one fire time and move the task's state and schedule on."""

from __future__ import annotations

from datetime import datetime

from mailyard.domain import runs, schedules, tasks, templates
from mailyard.errors import Conflict, ErrorCode, NotFound
from mailyard.ports.scheduling import FiringRepositories


async def fire(
    repositories: FiringRepositories, task: tasks.Task, *, fire_at: datetime, kind: runs.RunKind
) -> runs.Run | None:
    """Start the run for `fire_at` (None when that fire time ran already) and update the task.

    A scheduled run moves `next_fire_at` on; a manual run leaves the schedule alone. A task whose template
    is not approved (any more) starts no run: a manual run is refused, a scheduled one stops the task in
    error, with the reason, until someone resumes it.
    """
    try:
        await _approved_template(repositories, task)
    except (Conflict, NotFound) as error:
        if kind is runs.RunKind.MANUAL:
            raise
        await repositories.tasks.set_state(task.id, tasks.TaskState.ERROR, error_message=error.message)
        return None
    run = await repositories.runs.start(task, fire_at=fire_at, kind=kind)
    if kind is runs.RunKind.SCHEDULED:
        await repositories.tasks.set_next_fire_at(task.id, schedules.following_fire_at(task.schedule, fire_at))
    if run is None:
        return None
    if run.status is runs.RunStatus.PROCESSING:
        await repositories.tasks.set_state(task.id, tasks.TaskState.SENDING)
    elif await repositories.runs.active(task.id) is None:
        await repositories.tasks.set_state(task.id, settled_state(task, kind))
    return run


def settled_state(task: tasks.Task, kind: runs.RunKind) -> tasks.TaskState:
    """The state of a task with no run in progress: done once nothing more will fire."""
    fires_again = task.schedule.type is tasks.TaskType.RECURRING and not task.schedule.terminated
    if kind is runs.RunKind.MANUAL and task.next_fire_at is not None:
        fires_again = True
    return tasks.TaskState.PENDING if fires_again else tasks.TaskState.DONE


async def _approved_template(repositories: FiringRepositories, task: tasks.Task) -> templates.Template:
    template = await repositories.templates.get(task.account_id, task.template_id) if task.template_id else None
    if template is None:  # a message submitted over SMTP has none: it never fires again
        raise NotFound(f"template {task.template_id} not found", code=ErrorCode.TEMPLATE_NOT_FOUND)
    return templates.require_approved(template)
