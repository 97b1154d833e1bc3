"""What recording and reading events needs from the store, and what an event sink (webhooks) is given."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import date
from typing import Protocol

from mailyard.domain import events, paging
from mailyard.domain.visibility import TaskScope
from mailyard.ports.access import AccountLookup
from mailyard.ports.store import AfterCommit
from mailyard.ports.webhooks import WebhookQueueWriter


class EventWriter(Protocol):
    async def add(self, new: Sequence[events.NewEvent]) -> None: ...
    async def count(self, steps: Sequence[events.CounterStep]) -> None: ...
    async def having(
        self, delivery_ids: Collection[int], event_type: events.EventType, *, by_machine: bool | None = None
    ) -> set[int]:
        """Which of these deliveries have an event of this type already (by a machine, or by a person, when
        `by_machine` is given)."""
        ...


class Events(EventWriter, Protocol):
    async def bounces_of(self, delivery_id: int) -> set[events.BounceType]: ...
    async def types_of(self, delivery_ids: Collection[int]) -> dict[int, set[events.EventType]]: ...
    async def latest_of_address(
        self, account_id: int, address: str, types: Collection[events.EventType], limit: int
    ) -> builtins.list[events.Event]:
        """The address's latest events of these types in the account, newest first."""
        ...

    async def page(
        self, account_id: int, window: paging.Window, *, task_id: int, delivery_id: int | None
    ) -> paging.Page[events.Event]: ...
    async def complaints(
        self, scope: TaskScope, query: events.ComplaintQuery, window: paging.Window
    ) -> paging.Page[events.Complaint]:
        """Complaints of the scope's tasks recorded in the query's range, oldest first."""
        ...

    async def task_totals(self, task_id: int) -> dict[events.Counter, int]: ...
    async def daily(
        self,
        scope: TaskScope,
        first_day: date,
        last_day: date,
        *,
        sender_domain: str | None,
        recipient_domain: str | None,
    ) -> dict[date, dict[events.Counter, int]]:
        """Counter totals per local day of the scope's tasks."""
        ...


class EventRecordingRepositories(AfterCommit, Protocol):
    """What the EventRecorder uses inside the caller's transaction (its sinks queue webhooks there)."""

    @property
    def events(self) -> EventWriter: ...
    @property
    def accounts(self) -> AccountLookup: ...
    @property
    def webhooks(self) -> WebhookQueueWriter: ...


class EventRepositories(Protocol):
    @property
    def events(self) -> Events: ...


class EventSink(Protocol):
    """Something more to do with events in the transaction that records them (queueing webhooks)."""

    async def recorded(self, repositories: EventRecordingRepositories, recorded: Sequence[events.NewEvent]) -> None: ...
