"""Reports read from the ledger: the statuses of single sends' recipients."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import messages, paging, runs, tasks
from mailyard.domain.suppressions import SuppressionReason
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables
from mailyard.store.tasks import scope_condition

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
