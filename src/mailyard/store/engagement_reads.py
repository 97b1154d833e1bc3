"""Reads for the dashboard's engagement reports: one task's daily counters, and opens and clicks counted apart
by people and machines from the events' `machine` flag (the counters do not keep the two apart).

Opens and clicks by origin count distinct deliveries, read through partial indexes of opens and clicks (by
task, and by account and time), so neither read touches the far more numerous other events.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import events
from mailyard.domain.hit_origins import HitOrigins
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables
from mailyard.store.tasks import scope_condition

# Written into the SQL rather than bound, so the planners can match the partial index's own condition.
_HITS: list[ColumnElement[str]] = [
    literal_column(f"'{kind.value}'") for kind in (events.EventType.OPEN, events.EventType.CLICK)
]
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

    async def task_origins(self, account_id: int, task_id: int) -> HitOrigins:
        event = tables.events
        return await self._origins(_hits(event.c.account_id == account_id, event.c.task_id == task_id))

    async def origins(self, scope: TaskScope, start: datetime, end: datetime) -> HitOrigins:
        event, task = tables.events, tables.tasks
        statement = _hits(
            event.c.account_id == scope.account_id, event.c.occurred_at >= start, event.c.occurred_at < end
        )
        if scope.member_id is not None:  # a member's own and shared tasks only
            statement = statement.join(task, task.c.id == event.c.task_id).where(scope_condition(scope))
        return await self._origins(statement)

    async def _origins(self, statement: Select[Any]) -> HitOrigins:
        found: dict[tuple[str, bool], int] = {}
        for kind, machine, total in await self._connection.execute(statement):
            # Tracking always sets the flag; a hit without one would be a person's (added, not deduplicated).
            key = (kind, machine is True)
            found[key] = found.get(key, 0) + int(total)
        return HitOrigins(
            human_opens=found.get((events.EventType.OPEN.value, False), 0),
            machine_opens=found.get((events.EventType.OPEN.value, True), 0),
            human_clicks=found.get((events.EventType.CLICK.value, False), 0),
            machine_clicks=found.get((events.EventType.CLICK.value, True), 0),
        )


def _hits(*conditions: ColumnElement[bool]) -> Select[Any]:
    """Distinct deliveries per hit type and flag, grouped by the indexes' own columns so a task's are counted
    in index order, without sorting."""
    event = tables.events
    return (
        select(event.c.type, event.c.machine, func.count(func.distinct(event.c.delivery_id)))
        .where(event.c.type.in_(_HITS), *conditions)
        .group_by(event.c.type, event.c.machine)
    )


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
