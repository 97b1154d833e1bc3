"""Reports read from the ledger: the statuses of single sends' recipients and sending volumes per local day."""

from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, literal, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import messages, paging, runs, tasks
from mailyard.domain.suppressions import SuppressionReason
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables
from mailyard.store.tasks import scope_condition, sent_from_domain

_SKIPPED = runs.DeliveryState.SKIPPED.value
_UNSUBSCRIBED = f"suppressed: {SuppressionReason.UNSUBSCRIBE.value}"


class SqlReporting:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def statuses(
        self, scope: TaskScope, query: messages.StatusQuery, window: paging.Window
    ) -> builtins.list[messages.EmailStatus]:
        delivery, task = tables.deliveries, tables.tasks
        statement = (
            select(
                delivery, task.c.from_address, task.c.created_at.label("requested_at"), task.c.state.label("task_state")
            )
            .join(task, task.c.id == delivery.c.task_id)
            .where(
                scope_condition(scope),
                task.c.kind == tasks.TaskKind.SINGLE.value,
                task.c.created_at >= query.start,
                task.c.created_at < query.end,
            )
        )
        if query.task_id is not None:
            statement = statement.where(task.c.id == query.task_id)
        if query.to_address is not None:
            statement = statement.where(delivery.c.address == query.to_address)
        statement = statement.order_by(delivery.c.id).offset(window.offset).limit(window.limit)
        return [_status(row) for row in await self._connection.execute(statement)]

    async def volumes(self, scope: TaskScope, query: messages.VolumeQuery) -> builtins.list[messages.Volume]:
        delivery, run, task = tables.deliveries, tables.runs, tables.tasks
        rows = (
            select(
                self._local_day(run.c.created_at, query).label("day"),
                delivery.c.state.label("state"),
                delivery.c.reason.label("reason"),
            )
            .join(run, run.c.id == delivery.c.run_id)
            .join(task, task.c.id == delivery.c.task_id)
            .where(scope_condition(scope), run.c.created_at >= query.start, run.c.created_at < query.end)
        )
        if query.sender_domain is not None:
            rows = rows.where(sent_from_domain(query.sender_domain))
        if query.recipient_domain is not None:
            rows = rows.where(func.lower(delivery.c.address).endswith(f"@{query.recipient_domain}", autoescape=True))
        ledger = rows.subquery()
        state = ledger.c.state

        def count(condition: ColumnElement[bool]) -> Any:
            return func.sum(case((condition, 1), else_=0))

        statement = (
            select(
                ledger.c.day,
                func.count(),
                count(state != _SKIPPED),
                count(state == runs.DeliveryState.SENT.value),
                count(state == runs.DeliveryState.FAILED.value),
                count((state == _SKIPPED) & (ledger.c.reason == _UNSUBSCRIBED)),
            )
            .group_by(ledger.c.day)
            .order_by(ledger.c.day)
        )
        return [
            messages.Volume(
                day=_as_date(day),
                requested=requested,
                accepted=accepted,
                delivered=sent,
                bounced=failed,
                unsubscribed=gone,
            )
            for day, requested, accepted, sent, failed, gone in await self._connection.execute(statement)
        ]

    def _local_day(self, moment: Any, query: messages.VolumeQuery) -> ColumnElement[Any]:
        """The account-local date of a stored UTC time: shifted by the zone's offset at that instant.

        ``query.offsets`` lists (UTC instant, offset minutes) from the start of the range on; DST zones have
        more than one. SQLite shifts with a date() modifier, PostgreSQL with an interval.
        """
        minutes: ColumnElement[Any] = literal(query.offsets[0][1])
        for since, offset in query.offsets[1:]:
            minutes = case((moment >= literal(since, tables.UtcDateTime()), literal(offset)), else_=minutes)
        if self._connection.dialect.name == "sqlite":
            return func.date(moment, func.printf("%+d minutes", minutes))
        return cast(moment + func.make_interval(0, 0, 0, 0, 0, minutes), Date)


def _status(row: Row[Any]) -> messages.EmailStatus:
    return messages.EmailStatus(
        message_id=messages.message_id_of(row.task_id, row.requested_at),
        to_address=row.address,
        from_address=row.from_address,
        state=row.state,
        smtp_code=row.smtp_code,
        reason=row.reason,
        attempts=row.attempts,
        task_suspended=row.task_state == tasks.TaskState.SUSPENDED.value,
        requested_at=row.requested_at,
        updated_at=row.updated_at,
        delivery_id=row.id,
    )


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
