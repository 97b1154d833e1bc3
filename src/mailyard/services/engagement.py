"""What recipients did with a task's messages: its engagement totals and its events, for the native API."""

from __future__ import annotations

from mailyard.domain import accounts, events, paging
from mailyard.ports.events import EventRepositories
from mailyard.ports.store import Store
from mailyard.services.tasks import TaskService


class EngagementService:
    def __init__(self, store: Store[EventRepositories], tasks: TaskService) -> None:
        self._store = store
        self._tasks = tasks

    async def totals(self, principal: accounts.Principal, task_id: int) -> events.Engagement:
        """The task's totals over all its runs, from its daily counters."""
        await self._tasks.get(principal, task_id)  # NotFound / Forbidden outside the caller's view
        async with self._store.transaction() as repositories:
            return events.Engagement.of(await repositories.events.task_totals(task_id))

    async def list_events(
        self, principal: accounts.Principal, task_id: int, window: paging.Window, *, delivery_id: int | None = None
    ) -> paging.Page[events.Event]:
        """The task's events (or one delivery's), oldest first."""
        await self._tasks.get(principal, task_id)
        async with self._store.transaction() as repositories:
            return await repositories.events.page(
                principal.account_id, window, task_id=task_id, delivery_id=delivery_id
            )
