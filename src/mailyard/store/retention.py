"""Purging old records in small batches, oldest (lowest id) first, so no statement holds locks for long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import retention, runs
from mailyard.domain.webhooks import MessageState
from mailyard.store import tables

_FINISHED = (runs.DeliveryState.SENT.value, runs.DeliveryState.FAILED.value)
_POSTED = (MessageState.DONE.value, MessageState.FAILED.value)


class SqlRetention:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def purge(self, kind: retention.RetainedKind, before: datetime, limit: int) -> int:
        table, condition = _purgeable(kind, before)
        oldest = select(table.c.id).where(condition).order_by(table.c.id).limit(limit)
        ids = list((await self._connection.execute(oldest)).scalars())
        if not ids:
            return 0
        return int((await self._connection.execute(delete(table).where(table.c.id.in_(ids)))).rowcount)


def _purgeable(kind: retention.RetainedKind, before: datetime) -> tuple[Table, ColumnElement[bool]]:
    if kind is retention.RetainedKind.OUTBOX:
        return tables.outbox_messages, tables.outbox_messages.c.created_at < before
    if kind is retention.RetainedKind.EVENTS:
        return tables.events, tables.events.c.occurred_at < before
    if kind is retention.RetainedKind.WEBHOOKS:
        messages = tables.webhook_messages
        return messages, messages.c.state.in_(_POSTED) & (messages.c.updated_at < before)
    delivery = tables.deliveries
    return delivery, delivery.c.state.in_(_FINISHED) & (delivery.c.updated_at < before)
