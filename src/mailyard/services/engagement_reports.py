"""The dashboard's engagement report of one task: what happened to its copies per day, from the task's daily
counters (the statistics report adds up the tasks the caller sees; `task_report` gives one task's in the same
shape). It applies the caller's view."""

from __future__ import annotations

from datetime import date

from mailyard.domain import accounts, events, schedules
from mailyard.errors import ErrorCode, InvalidInput
from mailyard.ports.engagement_reads import EngagementReadRepositories
from mailyard.ports.store import Store
from mailyard.services import statistics
from mailyard.services.statistics import MAX_REPORT_DAYS
from mailyard.services.tasks import TaskService


class EngagementReportService:
    def __init__(self, store: Store[EngagementReadRepositories], tasks: TaskService) -> None:
        self._store = store
        self._tasks = tasks

    async def task_daily(
        self, principal: accounts.Principal, task_id: int, first_day: date, last_day: date
    ) -> dict[date, dict[events.Counter, int]]:
        """The task's counters per local day of the account, for the days of the range that have any."""
        _check_range(first_day, last_day)
        await self._tasks.get(principal, task_id)  # NotFound / Forbidden outside the caller's view
        async with self._store.transaction() as repositories:
            return await repositories.engagement_reads.task_daily(task_id, first_day, last_day)

    async def task_report(
        self, principal: accounts.Principal, task_id: int, first_day: date, last_day: date
    ) -> statistics.Report:
        """The statistics report of one task: the same daily counters as its chart, as the account report has
        them (the task as the caller may see it, else NotFound / Forbidden)."""
        statistics.check_range(first_day, last_day)
        return statistics.report_of(await self.task_daily(principal, task_id, first_day, last_day), first_day)


def _check_range(first_day: date, last_day: date) -> None:
    schedules.check_day(first_day, "start")
    schedules.check_day(last_day, "end")
    if last_day < first_day or (last_day - first_day).days >= MAX_REPORT_DAYS:
        raise InvalidInput(
            f"give a first day before the last, at most {MAX_REPORT_DAYS} days apart",
            field="end",
            code=ErrorCode.DATE_RANGE_INVALID,
        )
