"""SMTP submission: sender addresses that may sign in, the messages as submitted, and an account's daily volume."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import accounts, runs, submissions
from mailyard.store import tables
from mailyard.store.driver_inserts import DriverInsert

_WAITING = (runs.DeliveryState.QUEUED.value, runs.DeliveryState.SENDING.value)
_INSERT_CONTENTS = DriverInsert(tables.submitted_messages, returning_id=False)


class SqlSubmissions:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def logins(self, address: str) -> list[submissions.SubmissionLogin]:
        senders = tables.sender_addresses
        statement = (
            select(senders.c.account_id, senders.c.address, senders.c.smtp_password_hash)
            .where(senders.c.address == address, senders.c.smtp_password_hash.is_not(None))
            .order_by(senders.c.id)
        )
        return [
            submissions.SubmissionLogin(
                account_id=row.account_id, address=row.address, password_hash=row.smtp_password_hash
            )
            for row in await self._connection.execute(statement)
        ]

    async def owner(self, account_id: int) -> int | None:
        users = tables.users
        statement = (
            select(users.c.id)
            .where(users.c.account_id == account_id, users.c.role == accounts.Role.ADMIN.value)
            .order_by(users.c.id)
            .limit(1)
        )
        found = (await self._connection.execute(statement)).scalar_one_or_none()
        return int(found) if found is not None else None

    async def store_contents(self, rows: Sequence[tuple[int, str, bytes]]) -> None:
        if rows:
            values = [
                {"task_id": task_id, "envelope_from": envelope_from, "content": content}
                for task_id, envelope_from, content in rows
            ]
            await _INSERT_CONTENTS.run(self._connection, values)

    async def content(self, task_id: int) -> tuple[str, bytes] | None:
        table = tables.submitted_messages
        statement = select(table.c.envelope_from, table.c.content).where(table.c.task_id == task_id)
        found = (await self._connection.execute(statement)).first()
        return (found.envelope_from, bytes(found.content)) if found is not None else None

    async def committed_since(self, account_id: int, since: datetime) -> int:
        delivery = tables.deliveries
        sent = (delivery.c.state == runs.DeliveryState.SENT.value) & (delivery.c.updated_at >= since)
        statement = (
            select(func.count())
            .select_from(delivery)
            .where(delivery.c.account_id == account_id, or_(sent, delivery.c.state.in_(_WAITING)))
        )
        return int((await self._connection.execute(statement)).scalar_one())
