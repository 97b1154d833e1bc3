"""Daily quotas. An account's is counted from the ledger: what it sent since its midnight, plus what is in flight.

No counter table for accounts: a sent delivery keeps the time it was recorded in `updated_at`, so the ledger
already says how much went out today. Only accounts that have a quota and a task that is sending are counted,
so accounts without a quota cost one small query per claim. A relay's quota is kept in `relay_days`, since
the ledger does not know which relay will take a queued message: workers reserve sends before they use them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import runs, tasks
from mailyard.domain.quotas import QuotaBudget, day_start
from mailyard.store import tables

_SENDING, _SUSPENDED = tasks.TaskState.SENDING.value, tasks.TaskState.SUSPENDED.value
_ACTIVE = (_SENDING, _SUSPENDED)


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
        if account_ids:
            await self._move(tables.tasks.c.account_id.in_(sorted(account_ids)), _SENDING, _SUSPENDED)

    async def resume(self, account_ids: Collection[int]) -> None:
        if account_ids:
            await self._move(tables.tasks.c.account_id.in_(sorted(account_ids)), _SUSPENDED, _SENDING)

    async def suspend_all(self) -> None:
        await self._move(true(), _SENDING, _SUSPENDED)

    async def resume_unlimited(self) -> None:
        account = tables.accounts
        unlimited = select(account.c.id).where(account.c.daily_quota.is_(None))
        await self._move(tables.tasks.c.account_id.in_(unlimited), _SUSPENDED, _SENDING)

    async def reserve_relay(self, relay: str, daily_quota: int, day: date, want: int) -> int:
        """Relay rows are created on first use; the row lock (PostgreSQL) or the write lock (SQLite) makes
        concurrent reservations take turns."""
        table = tables.relay_days
        insert = postgresql.insert if self._locks_rows else sqlite.insert
        await self._connection.execute(insert(table).values(relay=relay, day=day, reserved=0).on_conflict_do_nothing())
        key = (table.c.relay == relay) & (table.c.day == day)
        current = select(table.c.reserved).where(key)
        if self._locks_rows:
            current = current.with_for_update()
        reserved = int((await self._connection.execute(current)).scalar_one())
        granted = max(min(want, daily_quota - reserved), 0)
        if granted:
            await self._connection.execute(update(table).where(key).values(reserved=table.c.reserved + granted))
        return granted

    async def return_relay(self, relay: str, day: date, count: int) -> None:
        table = tables.relay_days
        key = (table.c.relay == relay) & (table.c.day == day)
        # Never below zero, whatever a confused caller gives back.
        await self._connection.execute(
            update(table)
            .where(key)
            .values(reserved=case((table.c.reserved > count, table.c.reserved - count), else_=0))
        )

    async def relay_reserved(self, relay: str, day: date) -> int:
        table = tables.relay_days
        statement = select(table.c.reserved).where(table.c.relay == relay, table.c.day == day)
        return int((await self._connection.execute(statement)).scalar_one_or_none() or 0)

    async def _move(self, which: ColumnElement[bool], source: str, target: str) -> None:
        task = tables.tasks
        matching = and_(which, task.c.state == source)
        task_ids = (await self._connection.execute(select(task.c.id).where(matching).order_by(task.c.id))).scalars()
        # One row at a time in ascending id: the order recording outcomes locks tasks in, so no deadlock.
        for task_id in list(task_ids):
            await self._connection.execute(
                update(task)
                .where(task.c.id == task_id, task.c.state == source)
                .values(state=target, updated_at=self._now)
            )
