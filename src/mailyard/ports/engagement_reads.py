"""What the dashboard's engagement report reads: one task's daily counters."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from mailyard.domain import events


class EngagementReads(Protocol):
    async def task_daily(self, task_id: int, first_day: date, last_day: date) -> dict[date, dict[events.Counter, int]]:
        """The task's counter totals per local day of the account, for the days that have any."""
        ...


class EngagementReadRepositories(Protocol):
    @property
    def engagement_reads(self) -> EngagementReads: ...
