"""Firing a task: start a run for one fire time and move the task's state and schedule on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mailyard.domain import runs, schedules, tasks, templates
from mailyard.errors import Conflict, ErrorCode, NotFound
from mailyard.ports.scheduling import FiringRepositories, SchedulingRepositories


async def fire(
    repositories: FiringRepositories, task: tasks.Task, *, fire_at: datetime, kind: runs.RunKind
) -> runs.Run | None:
    """Start the run for `fire_at` (None when that fire time ran already) and update the task.

    A scheduled run moves `next_fire_at` on; a manual run leaves the schedule alone. A task whose template
    is not approved (any more) starts no run: a manual run is refused, a scheduled one stops the task in
    error, with the reason, until someone resumes it.
    """
    try:
        approved(task, await _template_of(repositories, task))
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
    other_run_active = run.status is not runs.RunStatus.PROCESSING and await repositories.runs.active(task.id)
    state = state_after_start(task, run, kind, other_run_active=bool(other_run_active))
    if state is not None:
        await repositories.tasks.set_state(task.id, state)
    return run


async def fire_scheduled(
    repositories: SchedulingRepositories, due: Sequence[tuple[tasks.Task, datetime]]
) -> list[runs.Run]:
    """`fire` for many scheduled (task, fire time) pairs at once, by the same rules, in a few statements
    whatever their number: one read of their templates, one INSERT of the runs, one of their ledgers, one
    UPDATE of the tasks (schedule, state and counters together)."""
    found = await repositories.templates.get_many({task.template_id for task, _ in due if task.template_id})
    starts, refused = [], []
    for task, fire_at in due:
        try:
            approved(task, found.get(task.template_id) if task.template_id else None)
        except (Conflict, NotFound) as error:
            refused.append((task.id, error.message))
            continue
        starts.append((task, fire_at))
    started = await repositories.runs.start_many(starts, kind=runs.RunKind.SCHEDULED, count_tasks=False)
    run_of = {run.task_id: run for run in started}
    finished_at_once = [run.task_id for run in started if run.status is not runs.RunStatus.PROCESSING]
    still_active = await repositories.runs.active_among(finished_at_once) if finished_at_once else set()
    fired = []
    for task, fire_at in starts:
        following = schedules.following_fire_at(task.schedule, fire_at)
        run = run_of.get(task.id)
        if run is None:
            fired.append(tasks.FiredTask(task_id=task.id, next_fire_at=following, state=None))
            continue
        state = state_after_start(task, run, runs.RunKind.SCHEDULED, other_run_active=task.id in still_active)
        fired.append(
            tasks.FiredTask(
                task_id=task.id, next_fire_at=following, state=state, queued=run.requested, skipped=run.skipped
            )
        )
    await repositories.tasks.set_fired(fired)
    for task_id, reason in refused:  # after the others: `set_fired` orders the batch's changes of state
        await repositories.tasks.set_state(task_id, tasks.TaskState.ERROR, error_message=reason)
    return started


def state_after_start(
    task: tasks.Task, run: runs.Run, kind: runs.RunKind, *, other_run_active: bool
) -> tasks.TaskState | None:
    """The task's state once `run` started: sending while it has something to send; when it had nobody to
    send to, settled unless another run is still sending (None: left as it is)."""
    if run.status is runs.RunStatus.PROCESSING:
        return tasks.TaskState.SENDING
    return None if other_run_active else settled_state(task, kind)


def settled_state(task: tasks.Task, kind: runs.RunKind) -> tasks.TaskState:
    """The state of a task with no run in progress: done once nothing more will fire."""
    fires_again = task.schedule.type is tasks.TaskType.RECURRING and not task.schedule.terminated
    if kind is runs.RunKind.MANUAL and task.next_fire_at is not None:
        fires_again = True
    return tasks.TaskState.PENDING if fires_again else tasks.TaskState.DONE


def approved(task: tasks.Task, template: templates.Template | None) -> templates.Template:
    """The task's template, when it exists in the task's account and is approved."""
    if template is None or template.account_id != task.account_id:  # a message submitted over SMTP has none
        raise NotFound(f"template {task.template_id} not found", code=ErrorCode.TEMPLATE_NOT_FOUND)
    return templates.require_approved(template)


async def _template_of(repositories: FiringRepositories, task: tasks.Task) -> templates.Template | None:
    return await repositories.templates.get(task.account_id, task.template_id) if task.template_id else None
