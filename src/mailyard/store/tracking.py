"""Tracking: the settings that turn opens and clicks off, and the deliveries that hits name."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import runs, tracking
from mailyard.store import tables

ACCOUNT_WIDE = 0  #: the task id under which an account's own setting is kept


class SqlTracking:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def options(self, account_id: int, task_id: int | None = None) -> tracking.TrackingOptions | None:
        """The account's setting (no task) or the task's own; None when it was never set."""
        table = tables.tracking_settings
        statement = select(table.c.opens, table.c.clicks).where(
            table.c.account_id == account_id, table.c.task_id == (task_id or ACCOUNT_WIDE)
        )
        row = (await self._connection.execute(statement)).first()
        return tracking.TrackingOptions(opens=row.opens, clicks=row.clicks) if row else None

    async def set_options(
        self, account_id: int, options: tracking.TrackingOptions | None, task_id: int | None = None
    ) -> None:
        """Keep a setting; None removes it (the task then follows its account, the account the default)."""
        table = tables.tracking_settings
        key = {"account_id": account_id, "task_id": task_id or ACCOUNT_WIDE}
        if options is None:
            await self._connection.execute(
                delete(table).where(table.c.account_id == account_id, table.c.task_id == key["task_id"])
            )
            return
        dialect = postgresql if self._connection.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table).values(**key, opens=options.opens, clicks=options.clicks)
        statement = insert.on_conflict_do_update(
            index_elements=["account_id", "task_id"],
            set_={"opens": insert.excluded.opens, "clicks": insert.excluded.clicks},
        )
        await self._connection.execute(statement)

    async def deliveries(self, delivery_ids: Collection[int]) -> dict[int, tracking.TrackedDelivery]:
        """The deliveries of these ids, in one statement."""
        if not delivery_ids:
            return {}
        table = tables.deliveries
        statement = select(
            table.c.id,
            table.c.run_id,
            table.c.task_id,
            table.c.account_id,
            table.c.address,
            table.c.state,
            table.c.updated_at,
        ).where(table.c.id.in_(sorted(delivery_ids)))
        return {
            row.id: tracking.TrackedDelivery(
                delivery_id=row.id,
                run_id=row.run_id,
                task_id=row.task_id,
                account_id=row.account_id,
                address=row.address,
                sent_at=row.updated_at if row.state == runs.DeliveryState.SENT.value else None,
            )
            for row in await self._connection.execute(statement)
        }
