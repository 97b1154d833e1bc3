"""What reports read from the ledger and the outbox: statuses, daily volumes, kept messages."""

from __future__ import annotations

import builtins
from typing import Protocol

from mailyard.domain import messages, paging
from mailyard.domain.outbox import OutboxMessage
from mailyard.domain.visibility import TaskScope
from mailyard.ports.events import EventRepositories


class Ledger(Protocol):
    async def statuses(
        self, scope: TaskScope, query: messages.StatusQuery, window: paging.Window
    ) -> builtins.list[messages.EmailStatus]: ...


class ReportingRepositories(Protocol):
    @property
    def reporting(self) -> Ledger: ...


class StatisticsRepositories(EventRepositories, Protocol):
    """Statistics read the daily counters: the ledger's requests and what happened to the copies."""


class Outbox(Protocol):
    async def list(
        self, scope: TaskScope, window: paging.Window, *, task_id: int | None
    ) -> paging.Page[OutboxMessage]: ...
    async def get(self, scope: TaskScope, message_id: int) -> OutboxMessage | None: ...


class OutboxRepositories(Protocol):
    @property
    def outbox(self) -> Outbox: ...
