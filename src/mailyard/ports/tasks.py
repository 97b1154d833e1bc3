"""What tasks (create, list, pause, cancel, run now, share) need from the store."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mailyard.domain import documents, paging, runs, tasks
from mailyard.domain.visibility import TaskScope
from mailyard.ports.access import UserLookup
from mailyard.ports.identities import SenderLookup
from mailyard.ports.recipients import RecipientListLookup
from mailyard.ports.scheduling import FiringRepositories, RunStarts, TaskProgress
from mailyard.ports.store import Store
from mailyard.ports.templates import TemplateLookup
from mailyard.ports.tracking import TrackingSettings


class Tasks(TaskProgress, Protocol):
    async def create(
        self,
        *,
        account_id: int,
        owner_id: int,
        draft: tasks.TaskDraft,
        name: str,
        next_fire_at: datetime | None,
    ) -> tasks.Task: ...
    async def grants(self, task_id: int) -> frozenset[int]: ...
    async def set_paused(self, task_id: int, paused: bool) -> None: ...
    async def grant(self, task_id: int, user_id: int) -> None: ...
    async def revoke(self, task_id: int, user_id: int) -> bool: ...


class Runs(RunStarts, Protocol):
    async def cancel_queued(self, task_id: int) -> int:
        """Skip every still-queued delivery of a task and close its runs; the number skipped."""
        ...

    async def get(self, task_id: int, run_id: int) -> runs.Run | None: ...
    async def latest(self, task_id: int) -> runs.Run | None: ...
    async def list(self, task_id: int, window: paging.Window) -> paging.Page[runs.Run]: ...
    async def deliveries(
        self,
        task_id: int,
        window: paging.Window,
        *,
        run_id: int | None,
        state: runs.DeliveryState | None,
        address_contains: str | None = None,
        failed_first: bool = False,
    ) -> paging.Page[runs.Delivery]: ...


class TaskRepositories(FiringRepositories, Protocol):
    @property
    def tasks(self) -> Tasks: ...
    @property
    def runs(self) -> Runs: ...
    @property
    def senders(self) -> SenderLookup: ...
    @property
    def templates(self) -> TemplateLookup: ...
    @property
    def lists(self) -> RecipientListLookup: ...
    @property
    def users(self) -> UserLookup: ...
    @property
    def tracking(self) -> TrackingSettings: ...


class TaskListing(Protocol):
    """Pages of the batch tasks a scope sees, newest first, with the total that matched. Each page is one
    statement, read outside any unit of work: listings are by far the most frequent request."""

    async def page(
        self, scope: TaskScope, task_filter: tasks.TaskFilter, window: paging.Window
    ) -> paging.Page[tasks.Task]: ...
    async def documents(
        self,
        scope: TaskScope,
        task_filter: tasks.TaskFilter,
        window: paging.Window,
        document: documents.Document,
        time_zone: str,
    ) -> documents.DocumentPage:
        """A page with each task rendered as `document` (times in `time_zone`) where the rows are."""
        ...


class TaskStore(Store[TaskRepositories], Protocol):
    @property
    def task_listing(self) -> TaskListing: ...
