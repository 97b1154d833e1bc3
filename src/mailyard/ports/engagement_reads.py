"""What the dashboard's engagement reports read: one task's daily counters, and opens and clicks by origin."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from mailyard.domain import events
from mailyard.domain.hit_origins import HitOrigins
from mailyard.domain.visibility import TaskScope


class EngagementReads(Protocol):
    async def task_daily(self, task_id: int, first_day: date, last_day: date) -> dict[date, dict[events.Counter, int]]:
        """The task's counter totals per local day of the account, for the days that have any."""
        ...

    async def task_origins(self, account_id: int, task_id: int) -> HitOrigins: ...
    async def origins(self, scope: TaskScope, start: datetime, end: datetime) -> HitOrigins:
        """Opens and clicks of the scope's tasks that happened in [start, end)."""
        ...


class EngagementReadRepositories(Protocol):
    @property
    def engagement_reads(self) -> EngagementReads: ...
