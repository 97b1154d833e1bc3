"""Reads for the dashboard's engagement report: one task's daily counters, added up over recipient domains."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import events
from mailyard.store import tables

_COUNTERS = {counter.value for counter in events.Counter}


class SqlEngagementReads:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def task_daily(self, task_id: int, first_day: date, last_day: date) -> dict[date, dict[events.Counter, int]]:
        counts = tables.event_counts
        statement = (
            select(counts.c.day, counts.c.counter, func.sum(counts.c.event_count))
            .where(counts.c.task_id == task_id, counts.c.day >= first_day, counts.c.day <= last_day)
            .group_by(counts.c.day, counts.c.counter)
        )
        found: dict[date, dict[events.Counter, int]] = {}
        for day, counter, total in await self._connection.execute(statement):
            if counter in _COUNTERS:  # a counter this version does not know is not drawn
                found.setdefault(_as_date(day), {})[events.Counter(counter)] = int(total)
        return found


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
