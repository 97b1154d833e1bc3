"""The built-in outbox: with no relay configured, messages are kept in the database instead of being sent."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mailyard.domain import paging
from mailyard.domain.letters import Letter
from mailyard.domain.outbox import OutboxMessage
from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.domain.quotas import RelayQuota
from mailyard.domain.visibility import TaskScope
from mailyard.ports.clock import Clock
from mailyard.ports.mailer import RelayGate
from mailyard.store import tables
from mailyard.store.rows import fetch_one, fetch_page
from mailyard.store.tasks import scope_condition


def _message(row: Row[Any], *, with_content: bool = False) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        account_id=row.account_id,
        task_id=row.task_id,
        delivery_id=row.delivery_id,
        envelope_from=row.envelope_from,
        recipient=row.recipient,
        message_id=row.message_id,
        size=row.size,
        created_at=row.created_at,
        content=row.content if with_content else None,
    )


def _select_visible(scope: TaskScope, *, with_content: bool) -> Select[Any]:
    """Outbox messages of the tasks the scope may see (messages outlive nothing: tasks cascade)."""
    outbox, task = tables.outbox_messages, tables.tasks
    columns = [column for column in outbox.c if with_content or column.name != "content"]
    return (
        select(*columns, func.length(outbox.c.content).label("size"))
        .join(task, task.c.id == outbox.c.task_id)
        .where(outbox.c.account_id == scope.account_id, scope_condition(scope))
    )


class SqlOutboxMessages:
    """Reading the outbox, inside a unit of work."""

    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def list(self, scope: TaskScope, window: paging.Window, *, task_id: int | None) -> paging.Page[OutboxMessage]:
        statement = _select_visible(scope, with_content=False)
        if task_id is not None:
            statement = statement.where(tables.outbox_messages.c.task_id == task_id)
        statement = statement.order_by(tables.outbox_messages.c.id.desc())
        return await fetch_page(self._connection, statement, window, _message)

    async def get(self, scope: TaskScope, message_id: int) -> OutboxMessage | None:
        statement = _select_visible(scope, with_content=True).where(tables.outbox_messages.c.id == message_id)
        return await fetch_one(self._connection, statement, lambda row: _message(row, with_content=True))


class OutboxMailer:
    """The `Mailer` port when no relay is configured: every letter is kept, exactly as it would be sent.

    A letter counts as kept only once its row is committed, so a worker that dies mid-batch leaves only the
    letters it had really "sent", like a relay would. Letters handed over together share one transaction
    (group commit): `deliver` returns when the transaction holding its letter has committed.
    """

    relay_quotas: tuple[RelayQuota, ...] = ()  # no relay, no relay quota

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._pending: list[tuple[dict[str, object], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def deliver(self, letter: Letter, gate: RelayGate | None = None) -> DeliveryOutcome:
        row: dict[str, object] = {
            "account_id": letter.account_id,
            "task_id": letter.task_id,
            "delivery_id": letter.delivery_id,
            "envelope_from": letter.envelope_from,
            "recipient": letter.recipient,
            "message_id": letter.message_id,
            "content": letter.data,
            "created_at": self._clock.now(),
        }
        loop = asyncio.get_running_loop()
        kept: asyncio.Future[None] = loop.create_future()
        self._pending.append((row, kept))
        if self._writer is None:
            self._writer = loop.create_task(self._write())
        await asyncio.shield(kept)  # a cancelled caller must not fail the letters sharing its transaction
        return DeliveryOutcome(OutcomeKind.SENT, 250, "kept in the outbox")

    async def _write(self) -> None:
        """Insert what is pending in one transaction, again while more arrived meanwhile."""
        try:
            while self._pending:
                await asyncio.sleep(0)  # the other letters of this round join the transaction
                batch, self._pending = self._pending, []
                try:
                    async with self._engine.begin() as connection:
                        await connection.execute(insert(tables.outbox_messages), [row for row, _ in batch])
                except Exception as error:  # every letter of the transaction fails, as each would alone
                    for _, kept in batch:
                        kept.set_exception(error)
                else:
                    for _, kept in batch:
                        kept.set_result(None)
        finally:
            self._writer = None

    async def close(self) -> None:
        """Wait for letters being written; the engine itself belongs to the runtime."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
