"""Daily quotas counted from the ledger: what an account sent since its midnight, plus what is in flight.

No counter table: a sent delivery keeps the time it was recorded in `updated_at`, so the ledger already
says how much went out today. Only accounts that have a quota and a task that is sending are counted,
so accounts without a quota cost one small query per claim.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import runs, tasks
from mailyard.domain.quotas import QuotaBudget, day_start
from mailyard.store import tables

_ACTIVE = (tasks.TaskState.SENDING.value, tasks.TaskState.SUSPENDED.value)


class SqlQuotas:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now
        self._locks_rows = connection.dialect.name == "postgresql"

    async def budgets(self) -> list[QuotaBudget]:
        """Budgets of the accounts with a quota and a task that is sending or suspended.

        On PostgreSQL the account rows stay locked until the transaction ends: concurrent claims for one
        account take turns, and each counts the leases the previous one committed.
        """
        account, task = tables.accounts, tables.tasks
        active = exists().where(task.c.account_id == account.c.id, task.c.state.in_(_ACTIVE))
        statement = (
            select(account.c.id, account.c.daily_quota, account.c.time_zone)
            .where(account.c.daily_quota.is_not(None), active)
            .order_by(account.c.id)
        )
        if self._locks_rows:
            statement = statement.with_for_update(of=account)
        rows = (await self._connection.execute(statement)).all()
        return [
            QuotaBudget(account_id=row.id, quota=row.daily_quota, used=await self._used(row.id, row.time_zone))
            for row in rows
        ]

    async def _used(self, account_id: int, time_zone: str) -> int:
        delivery = tables.deliveries
        sent_today = (delivery.c.state == runs.DeliveryState.SENT.value) & (
            delivery.c.updated_at >= day_start(self._now, time_zone)
        )
        in_flight = (delivery.c.state == runs.DeliveryState.SENDING.value) & (delivery.c.lease_expires_at > self._now)
        statement = (
            select(func.count())
            .select_from(delivery)
            .where(delivery.c.account_id == account_id, or_(sent_today, in_flight))
        )
        return int((await self._connection.execute(statement)).scalar_one())

    async def suspend(self, account_ids: Collection[int]) -> None:
        """Sending tasks of exhausted accounts show "suspended" until the next day."""
        await self._move(account_ids, tasks.TaskState.SENDING, tasks.TaskState.SUSPENDED)

    async def resume(self, account_ids: Collection[int]) -> None:
        await self._move(account_ids, tasks.TaskState.SUSPENDED, tasks.TaskState.SENDING)

    async def _move(self, account_ids: Collection[int], source: tasks.TaskState, target: tasks.TaskState) -> None:
        if not account_ids:
            return
        task = tables.tasks
        matching = and_(task.c.account_id.in_(sorted(account_ids)), task.c.state == source.value)
        task_ids = (await self._connection.execute(select(task.c.id).where(matching).order_by(task.c.id))).scalars()
        # One row at a time in ascending id: the order recording outcomes locks tasks in, so no deadlock.
        for task_id in list(task_ids):
            await self._connection.execute(
                update(task)
                .where(task.c.id == task_id, task.c.state == source.value)
                .values(state=target.value, updated_at=self._now)
            )
