"""Suppressions: hard bounces, unsubscribes and the account's custom blacklist."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import paging, suppressions
from mailyard.store import tables
from mailyard.store.rows import escape_like, fetch_one, fetch_page


def in_force(now: datetime) -> ColumnElement[bool]:
    """A suppression stops sending until it expires (the expiry is the first moment it does not); the SQL
    twin of `Suppression.active_at`."""
    table = tables.suppressions
    return table.c.expires_at.is_(None) | (table.c.expires_at > now)


def _suppression(row: Row[Any]) -> suppressions.Suppression:
    return suppressions.Suppression(
        id=row.id,
        account_id=row.account_id,
        address=row.address,
        reason=suppressions.SuppressionReason(row.reason),
        expires_at=row.expires_at,
        created_at=row.created_at,
        description=row.description,
    )


def _reasons(
    reason: suppressions.SuppressionReason | Collection[suppressions.SuppressionReason],
) -> builtins.list[str]:
    if isinstance(reason, suppressions.SuppressionReason):
        return [reason.value]
    return sorted(item.value for item in reason)


class SqlSuppressions:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def add(
        self,
        *,
        account_id: int,
        address: str,
        reason: suppressions.SuppressionReason,
        expires_at: datetime | None,
        description: str | None = None,
    ) -> suppressions.Suppression:
        """Insert, or refresh the expiry (and description, when given) of the entry for the address and reason."""
        table = tables.suppressions
        match = (table.c.account_id == account_id, table.c.address == address, table.c.reason == reason.value)
        existing = (await self._connection.execute(select(table).where(*match))).first()
        if existing is not None:
            changes: dict[str, Any] = {"expires_at": expires_at}
            if description is not None:
                changes["description"] = description[:2000]
            await self._connection.execute(update(table).where(*match).values(**changes))
        else:
            await self._connection.execute(
                table.insert().values(
                    account_id=account_id,
                    address=address,
                    reason=reason.value,
                    expires_at=expires_at,
                    description=description[:2000] if description else None,
                    created_at=self._now,
                )
            )
        return _suppression((await self._connection.execute(select(table).where(*match))).one())

    async def list(
        self,
        account_id: int,
        window: paging.Window,
        *,
        reason: suppressions.SuppressionReason | Collection[suppressions.SuppressionReason] | None,
        address_contains: str | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
        active: bool | None = None,
    ) -> paging.Page[suppressions.Suppression]:
        table = tables.suppressions
        statement = select(table).where(table.c.account_id == account_id)
        if reason is not None:
            statement = statement.where(table.c.reason.in_(_reasons(reason)))
        if address_contains:
            statement = statement.where(table.c.address.ilike(escape_like(address_contains), escape="\\"))
        if created_from is not None:
            statement = statement.where(table.c.created_at >= created_from)
        if created_until is not None:
            statement = statement.where(table.c.created_at < created_until)
        if active is not None:
            running = in_force(self._now)
            statement = statement.where(running if active else ~running)
        return await fetch_page(self._connection, statement.order_by(table.c.id.desc()), window, _suppression)

    async def get(self, account_id: int, suppression_id: int) -> suppressions.Suppression | None:
        table = tables.suppressions
        statement = select(table).where(table.c.account_id == account_id, table.c.id == suppression_id)
        return await fetch_one(self._connection, statement, _suppression)

    async def find(
        self, account_id: int, address: str, reason: suppressions.SuppressionReason
    ) -> suppressions.Suppression | None:
        table = tables.suppressions
        statement = select(table).where(
            table.c.account_id == account_id, table.c.address == address, table.c.reason == reason.value
        )
        return await fetch_one(self._connection, statement, _suppression)

    async def update(self, account_id: int, suppression_id: int, *, address: str, expires_at: datetime | None) -> bool:
        table = tables.suppressions
        statement = (
            update(table)
            .where(table.c.account_id == account_id, table.c.id == suppression_id)
            .values(address=address, expires_at=expires_at)
        )
        return bool((await self._connection.execute(statement)).rowcount)

    async def remove(
        self,
        account_id: int,
        addresses: builtins.list[str],
        reason: suppressions.SuppressionReason | Collection[suppressions.SuppressionReason],
    ) -> int:
        table = tables.suppressions
        statement = delete(table).where(
            table.c.account_id == account_id, table.c.address.in_(addresses), table.c.reason.in_(_reasons(reason))
        )
        return (await self._connection.execute(statement)).rowcount
