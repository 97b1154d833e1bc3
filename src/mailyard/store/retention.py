"""Purging old records in small batches, oldest first, so no statement holds locks for long.

Events and outbox copies are found by age through their (time, id) indexes, in that order, so a round that
finds nothing old enough reads one index entry instead of the table; deliveries and webhook messages are taken
lowest id first among those finished before the limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, Table, delete, select
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
        found = purgeable(kind, before)
        ids = list((await self._connection.execute(found.oldest(limit))).scalars())
        if not ids:
            return 0
        table = found.table
        return int((await self._connection.execute(delete(table).where(table.c.id.in_(ids)))).rowcount)


@dataclass(frozen=True)
class Purgeable:
    table: Table
    condition: ColumnElement[bool]
    order: tuple[ColumnElement[object], ...]

    def oldest(self, limit: int) -> Select[tuple[int]]:
        """The ids of the oldest `limit` records that may go."""
        return select(self.table.c.id).where(self.condition).order_by(*self.order).limit(limit)


def purgeable(kind: retention.RetainedKind, before: datetime) -> Purgeable:
    """What a purge of this kind removes and in which order it takes it."""
    if kind is retention.RetainedKind.OUTBOX:
        outbox = tables.outbox_messages
        return Purgeable(outbox, outbox.c.created_at < before, (outbox.c.created_at, outbox.c.id))
    if kind is retention.RetainedKind.EVENTS:
        event = tables.events
        return Purgeable(event, event.c.occurred_at < before, (event.c.occurred_at, event.c.id))
    if kind is retention.RetainedKind.WEBHOOKS:
        messages = tables.webhook_messages
        return Purgeable(messages, messages.c.state.in_(_POSTED) & (messages.c.updated_at < before), (messages.c.id,))
    delivery = tables.deliveries
    return Purgeable(delivery, delivery.c.state.in_(_FINISHED) & (delivery.c.updated_at < before), (delivery.c.id,))
