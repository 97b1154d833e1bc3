"""Webhook endpoints, and the messages queued for them as a work queue (claimed with a lease, like deliveries)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import events, paging, tasks, webhooks
from mailyard.domain.messages import message_id_of
from mailyard.domain.webhooks import MessageState
from mailyard.store import tables
from mailyard.store.rows import fetch_page


def _endpoint(row: Row[Any]) -> webhooks.Endpoint:
    return webhooks.Endpoint(
        id=row.id,
        account_id=row.account_id,
        url=row.url,
        events=frozenset(events.EventType(name) for name in row.events.split(",") if name),
        custom=row.custom,
        sender=row.sender_address,
        enabled=row.enabled,
        created_at=row.created_at,
    )


def _attempt(row: Row[Any]) -> webhooks.Attempt:
    return webhooks.Attempt(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event=events.EventType(row.event_type),
        state=MessageState(row.state),
        attempts=row.attempts,
        last_status=row.last_status,
        last_answer=row.last_answer,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlWebhooks:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    # ---- endpoints -----------------------------------------------------------------------------------------

    async def create_endpoint(
        self,
        *,
        account_id: int,
        url: str,
        event_types: frozenset[events.EventType],
        custom: str | None,
        sender: str | None,
        secret_sealed: str,
    ) -> webhooks.Endpoint:
        table = tables.webhook_endpoints
        values = {
            "account_id": account_id,
            "url": url,
            "events": ",".join(sorted(event_types)),
            "custom": custom,
            "sender_address": sender,
            "secret_sealed": secret_sealed,
            "enabled": True,
            "created_at": self._now,
        }
        row = (await self._connection.execute(insert(table).values(values).returning(*table.c))).one()
        return _endpoint(row)

    async def endpoints(self, account_ids: Sequence[int]) -> builtins.list[webhooks.Endpoint]:
        table = tables.webhook_endpoints
        statement = select(table).where(table.c.account_id.in_(sorted(set(account_ids)))).order_by(table.c.id)
        return [_endpoint(row) for row in await self._connection.execute(statement)]

    async def senders_of(self, task_ids: Sequence[int]) -> dict[int, str]:
        task = tables.tasks
        statement = select(task.c.id, task.c.from_address).where(task.c.id.in_(sorted(set(task_ids))))
        return {row.id: _bare(row.from_address) for row in await self._connection.execute(statement)}

    async def sealed_secret(self, account_id: int, endpoint_id: int) -> str | None:
        table = tables.webhook_endpoints
        statement = select(table.c.secret_sealed).where(table.c.account_id == account_id, table.c.id == endpoint_id)
        return (await self._connection.execute(statement)).scalar_one_or_none()

    async def delete_endpoint(self, account_id: int, endpoint_id: int) -> bool:
        table = tables.webhook_endpoints
        statement = delete(table).where(table.c.account_id == account_id, table.c.id == endpoint_id)
        return (await self._connection.execute(statement)).rowcount > 0

    async def disable_endpoint(self, endpoint_id: int) -> None:
        table = tables.webhook_endpoints
        await self._connection.execute(update(table).where(table.c.id == endpoint_id).values(enabled=False))
        messages = tables.webhook_messages
        await self._connection.execute(
            update(messages)
            .where(messages.c.endpoint_id == endpoint_id, messages.c.state == MessageState.PENDING.value)
            .values(state=MessageState.FAILED.value, updated_at=self._now, leased_until=None)
        )

    # ---- messages ------------------------------------------------------------------------------------------

    async def enqueue(self, rows: Sequence[tuple[int, events.NewEvent]]) -> None:
        """Queue (endpoint id, event) pairs, due now; one statement however many."""
        if not rows:
            return
        values = [
            {
                "endpoint_id": endpoint_id,
                "account_id": event.delivery.account_id,
                "event_type": event.type.value,
                "delivery_id": event.delivery.delivery_id or None,
                "task_id": event.delivery.task_id or None,
                "address": event.delivery.address,
                "occurred_at": event.occurred_at,
                "reason": event.reason,
                "bounce_type": event.bounce_type.value if event.bounce_type else None,
                "link": event.link,
                "user_agent": event.user_agent,
                "machine": event.machine,
                "state": MessageState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": self._now,
                "created_at": self._now,
                "updated_at": self._now,
            }
            for endpoint_id, event in rows
        ]
        await self._connection.execute(insert(tables.webhook_messages), values)

    async def claim(self, limit: int, lease_until: datetime) -> builtins.list[webhooks.QueuedMessage]:
        """Lease due messages (a dead poster's lease runs out and its messages are claimed again)."""
        messages = tables.webhook_messages
        due = (
            select(messages.c.id)
            .where(
                messages.c.state == MessageState.PENDING.value,
                messages.c.next_attempt_at <= self._now,
                or_(messages.c.leased_until.is_(None), messages.c.leased_until < self._now),
            )
            .order_by(messages.c.next_attempt_at, messages.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = await self._connection.execute(
            update(messages)
            .where(messages.c.id.in_(due.scalar_subquery()))
            .values(leased_until=lease_until)
            .returning(messages.c.id)
        )
        ids = [row.id for row in claimed]
        return await self._queued(ids) if ids else []

    async def _queued(self, ids: Sequence[int]) -> builtins.list[webhooks.QueuedMessage]:
        messages, endpoints = tables.webhook_messages, tables.webhook_endpoints
        deliveries, task = tables.deliveries, tables.tasks
        statement = (
            select(
                messages,
                endpoints.c.url,
                endpoints.c.custom,
                endpoints.c.secret_sealed,
                task.c.from_address,
                task.c.template_id,
                task.c.subject,
                task.c.kind,
                task.c.created_at.label("task_created_at"),
                deliveries.c.state.label("delivery_state"),
                deliveries.c.updated_at.label("delivery_updated_at"),
            )
            .join(endpoints, endpoints.c.id == messages.c.endpoint_id)
            .outerjoin(task, task.c.id == messages.c.task_id)
            .outerjoin(deliveries, deliveries.c.id == messages.c.delivery_id)
            .where(messages.c.id.in_(ids))
            .order_by(messages.c.id)
        )
        return [_queued(row) for row in await self._connection.execute(statement)]

    async def finish(
        self,
        message_id: int,
        *,
        state: MessageState,
        attempts: int,
        next_attempt_at: datetime | None,
        status: int | None,
        answer: str | None,
    ) -> None:
        messages = tables.webhook_messages
        values: dict[str, Any] = {
            "state": state.value,
            "attempts": attempts,
            "leased_until": None,
            "last_status": status,
            "last_answer": answer,
            "updated_at": self._now,
        }
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        await self._connection.execute(update(messages).where(messages.c.id == message_id).values(values))

    async def attempts(self, endpoint_id: int, window: paging.Window) -> paging.Page[webhooks.Attempt]:
        messages = tables.webhook_messages
        statement = select(messages).where(messages.c.endpoint_id == endpoint_id).order_by(messages.c.id.desc())
        return await fetch_page(self._connection, statement, window, _attempt)

    async def backlog(self) -> webhooks.Backlog:
        messages = tables.webhook_messages
        statement = select(func.count(), func.min(messages.c.created_at)).where(
            messages.c.state == MessageState.PENDING.value
        )
        count, oldest = (await self._connection.execute(statement)).one()
        return webhooks.Backlog(pending=int(count), oldest=oldest)


def _queued(row: Row[Any]) -> webhooks.QueuedMessage:
    sent_at = row.delivery_updated_at if row.delivery_state == "sent" else None
    single = row.kind == tasks.TaskKind.SINGLE.value if row.kind is not None else False
    return webhooks.QueuedMessage(
        id=row.id,
        endpoint_id=row.endpoint_id,
        url=row.url,
        secret_sealed=row.secret_sealed,
        custom=row.custom,
        attempts=row.attempts,
        created_at=row.created_at,
        facts=webhooks.CallbackFacts(
            event=events.EventType(row.event_type),
            address=row.address,
            occurred_at=row.occurred_at,
            account_id=row.account_id,
            sender=_bare(row.from_address) if row.from_address else "",
            task_id=row.task_id,
            template_id=row.template_id,
            subject=row.subject,
            message_id=None,
            bulk_id=message_id_of(row.task_id, row.task_created_at) if single else None,
            sent_at=sent_at,
            reason=row.reason,
            bounce_type=events.BounceType(row.bounce_type) if row.bounce_type else None,
            link=row.link,
            user_agent=row.user_agent,
            machine=row.machine,
        ),
    )


def _bare(from_address: str) -> str:
    address = from_address.rpartition("<")[2].rstrip(">").strip()
    return address.lower()
