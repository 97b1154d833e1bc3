"""Tasks: create the three kinds, list what the caller may see, pause, resume, cancel, run now, share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mailyard.domain import (
    accounts,
    documents,
    messages,
    paging,
    rendering,
    runs,
    schedules,
    tasks,
    unsubscribe,
    visibility,
)
from mailyard.domain.tracking import TrackingOptions
from mailyard.errors import Conflict, ErrorCode, Forbidden, InvalidInput, NotFound
from mailyard.ports.clock import Clock
from mailyard.ports.tasks import TaskRepositories, TaskStore
from mailyard.services.firing import fire
from mailyard.services.references import check_sender_and_template, sender_of

# A begin time a little in the past is a slow client, not a mistake.
BEGIN_TIME_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class TaskRequest:
    """A caller's request for a new task, before checks."""

    name: str | None
    from_address: str
    reply_to: str | None
    subject: str
    template_id: int
    variables: dict[str, object]
    recipient_list_id: int
    schedule: tasks.Schedule
    unsubscribe: str | None = None
    tracking: TrackingOptions | None = None  #: None: the account's setting decides


class TaskService:
    def __init__(self, store: TaskStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def create(self, principal: accounts.Principal, request: TaskRequest) -> tasks.Task:
        """Check and store a task; an immediate task fires at once, in the same transaction."""
        subject = tasks.check_subject(request.subject)
        now = self._clock.now()
        schedule = request.schedule
        begins = schedule.begin_at if schedule.type is not tasks.TaskType.IMMEDIATE else None
        if begins is not None and begins < now - BEGIN_TIME_TOLERANCE:
            raise InvalidInput("begin time is in the past", field="begin_at", code=ErrorCode.BEGIN_TIME_IN_PAST)
        sender = sender_of(request.from_address)
        _check_variables(request.variables)
        draft = tasks.TaskDraft(
            name=request.name,
            from_address=request.from_address.strip(),
            reply_to=messages.check_reply_to(request.reply_to),
            subject=subject,
            template_id=request.template_id,
            variables=dict(request.variables),
            recipient_list_id=request.recipient_list_id,
            schedule=schedule,
            unsubscribe=unsubscribe.check_task_option(request.unsubscribe),
        )
        async with self._store.transaction() as repositories:
            await _check_references(repositories, principal.account_id, draft, sender)
            task = await repositories.tasks.create(
                account_id=principal.account_id,
                owner_id=principal.user_id,
                draft=draft,
                name=(request.name or subject).strip()[:200],
                next_fire_at=schedules.first_fire_at(schedule, now),
            )
            if request.tracking is not None:
                await repositories.tracking.set_options(principal.account_id, request.tracking, task_id=task.id)
            if schedule.type is tasks.TaskType.IMMEDIATE:
                await fire(repositories, task, fire_at=now, kind=runs.RunKind.SCHEDULED)
        return await self.get(principal, task.id)

    async def get(self, principal: accounts.Principal, task_id: int) -> tasks.Task:
        """A task the caller may see: NotFound outside its account, Forbidden when not visible to it."""
        async with self._store.transaction() as repositories:
            return await _visible_task(repositories, principal, task_id)

    async def list(
        self, principal: accounts.Principal, task_filter: tasks.TaskFilter, window: paging.Window
    ) -> paging.Page[tasks.Task]:
        return await self._store.task_listing.page(visibility.TaskScope.of(principal), task_filter, window)

    async def list_documents(
        self,
        principal: accounts.Principal,
        task_filter: tasks.TaskFilter,
        window: paging.Window,
        document: documents.Document,
    ) -> documents.DocumentPage:
        """Like `list`, each task rendered as `document`, times in the caller's zone: for a front door whose
        listing is read far more often than anything else it serves."""
        scope = visibility.TaskScope.of(principal)
        return await self._store.task_listing.documents(scope, task_filter, window, document, principal.time_zone)

    async def pause(self, principal: accounts.Principal, task_id: int) -> tasks.Task:
        async with self._store.transaction() as repositories:
            task = await _managed_task(repositories, principal, task_id)
            _require_not_cancelled(task)
            await repositories.tasks.set_paused(task.id, True)
        return await self.get(principal, task_id)

    async def resume(self, principal: accounts.Principal, task_id: int) -> tasks.Task:
        """Unpause; a task stopped by an error goes back to sending, which retries what was left."""
        async with self._store.transaction() as repositories:
            task = await _managed_task(repositories, principal, task_id)
            _require_not_cancelled(task)
            await repositories.tasks.set_paused(task.id, False)
            if task.state is tasks.TaskState.ERROR:
                active = await repositories.runs.active(task.id)
                await repositories.tasks.set_state(
                    task.id, tasks.TaskState.SENDING if active else tasks.TaskState.PENDING
                )
        return await self.get(principal, task_id)

    async def cancel(self, principal: accounts.Principal, task_id: int) -> tasks.Task:
        """Stop a task for good: no more fire times, and what was still queued is skipped."""
        async with self._store.transaction() as repositories:
            task = await _managed_task(repositories, principal, task_id)
            _require_not_cancelled(task)
            await repositories.runs.cancel_queued(task.id)
            await repositories.tasks.set_state(task.id, tasks.TaskState.CANCELLED, terminated=True)
        return await self.get(principal, task_id)

    async def run_now(self, principal: accounts.Principal, task_id: int) -> runs.Run:
        """Add a run at once without moving the schedule; refused while another run is in progress."""
        async with self._store.transaction() as repositories:
            task = await _visible_task(repositories, principal, task_id)
            _require_not_cancelled(task)
            if task.paused:
                raise Conflict(f"task {task_id} is paused; resume it first", code=ErrorCode.TASK_PAUSED)
            if await repositories.runs.active(task.id):
                raise Conflict(f"task {task_id} is already running", code=ErrorCode.TASK_ALREADY_RUNNING)
            run = await fire(repositories, task, fire_at=self._clock.now(), kind=runs.RunKind.MANUAL)
        if run is None:
            raise Conflict(f"task {task_id} is already running", code=ErrorCode.TASK_ALREADY_RUNNING)
        return run

    async def grant(self, principal: accounts.Principal, task_id: int, nickname: str) -> accounts.User:
        """Share a task with another user of the account (who then sees it and may run it)."""
        async with self._store.transaction() as repositories:
            task = await _managed_task(repositories, principal, task_id)
            user = await _user_by_nickname(repositories, principal, nickname)
            if user.id != task.owner_id:
                await repositories.tasks.grant(task.id, user.id)
        return user

    async def revoke(self, principal: accounts.Principal, task_id: int, nickname: str) -> None:
        async with self._store.transaction() as repositories:
            task = await _managed_task(repositories, principal, task_id)
            user = await _user_by_nickname(repositories, principal, nickname)
            if not await repositories.tasks.revoke(task.id, user.id):
                raise NotFound(f"task {task_id} is not shared with {nickname}", code=ErrorCode.GRANT_NOT_FOUND)

    async def list_runs(
        self, principal: accounts.Principal, task_id: int, window: paging.Window
    ) -> paging.Page[runs.Run]:
        async with self._store.transaction() as repositories:
            task = await _visible_task(repositories, principal, task_id)
            return await repositories.runs.list(task.id, window)

    async def get_run(self, principal: accounts.Principal, task_id: int, run_id: int | None) -> runs.Run | None:
        """One run of a task, or its latest when no id is given."""
        async with self._store.transaction() as repositories:
            task = await _visible_task(repositories, principal, task_id)
            if run_id is None:
                return await repositories.runs.latest(task.id)
            found = await repositories.runs.get(task.id, run_id)
        if found is None:
            raise NotFound(f"run {run_id} of task {task_id} not found", code=ErrorCode.RUN_NOT_FOUND)
        return found

    async def deliveries(
        self,
        principal: accounts.Principal,
        task_id: int,
        window: paging.Window,
        *,
        run_id: int | None = None,
        state: runs.DeliveryState | None = None,
        address_contains: str | None = None,
        failed_first: bool = False,
    ) -> paging.Page[runs.Delivery]:
        """A task's ledger, optionally only addresses containing some text, or the failed ones first."""
        async with self._store.transaction() as repositories:
            task = await _visible_task(repositories, principal, task_id)
            return await repositories.runs.deliveries(
                task.id,
                window,
                run_id=run_id,
                state=state,
                address_contains=address_contains,
                failed_first=failed_first,
            )


def _check_variables(variables: dict[str, object]) -> None:
    """Task variables must render (scalar values only), or every message of the task would fail later."""
    try:
        rendering.check_template_data(variables)
    except rendering.TemplateDataError as error:
        raise InvalidInput(str(error), field="variables", code=ErrorCode.TEMPLATE_DATA_INVALID) from error


async def _check_references(
    repositories: TaskRepositories, account_id: int, draft: tasks.TaskDraft, sender: str
) -> None:
    """The sender, template and list must exist in the account and be usable."""
    await check_sender_and_template(repositories.senders, repositories.templates, account_id, sender, draft.template_id)
    target = await repositories.lists.get(account_id, draft.recipient_list_id)
    if target is None:
        raise NotFound(f"recipient list {draft.recipient_list_id} not found", code=ErrorCode.LIST_NOT_FOUND)
    if target.total_count == 0:
        raise Conflict(f"recipient list {draft.recipient_list_id} is empty", code=ErrorCode.LIST_EMPTY)


async def _visible_task(repositories: TaskRepositories, principal: accounts.Principal, task_id: int) -> tasks.Task:
    task = await repositories.tasks.get(principal.account_id, task_id)
    if task is None:
        raise NotFound(f"task {task_id} not found", code=ErrorCode.TASK_NOT_FOUND)
    grants = await repositories.tasks.grants(task.id) if not principal.is_admin else frozenset[int]()
    scope = visibility.TaskScope.of(principal)
    if not visibility.can_see(scope, account_id=task.account_id, owner_id=task.owner_id, granted_to=grants):
        raise Forbidden(f"task {task_id} is not visible to {principal.nickname}", code=ErrorCode.TASK_FORBIDDEN)
    return task


async def _managed_task(repositories: TaskRepositories, principal: accounts.Principal, task_id: int) -> tasks.Task:
    task = await _visible_task(repositories, principal, task_id)
    if not visibility.can_manage(principal, owner_id=task.owner_id):
        raise Forbidden(f"only the owner or an admin may change task {task_id}", code=ErrorCode.TASK_FORBIDDEN)
    return task


async def _user_by_nickname(
    repositories: TaskRepositories, principal: accounts.Principal, nickname: str
) -> accounts.User:
    user = await repositories.users.get_by_nickname(principal.account_id, nickname)
    if user is None:
        raise NotFound(f"user {nickname!r} not found", code=ErrorCode.USER_NOT_FOUND)
    return user


def _require_not_cancelled(task: tasks.Task) -> None:
    if task.state is tasks.TaskState.CANCELLED:
        raise Conflict(f"task {task.id} is cancelled", code=ErrorCode.TASK_CANCELLED)
