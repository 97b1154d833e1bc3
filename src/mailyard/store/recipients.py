"""Recipient lists and their recipients."""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import paging, recipients
from mailyard.store import tables
from mailyard.store.rows import escape_like, fetch_one, fetch_page


def _list(row: Row[Any]) -> recipients.RecipientList:
    return recipients.RecipientList(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        description=row.description,
        total_count=row.total_count,
        valid_count=row.valid_count,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _recipient(row: Row[Any]) -> recipients.Recipient:
    return recipients.Recipient(
        id=row.id,
        list_id=row.list_id,
        address=row.address,
        variables=json.loads(row.variables) if row.variables else None,
        valid=row.valid,
        reason=row.reason,
        created_at=row.created_at,
    )


class SqlRecipientLists:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(
        self, *, account_id: int, created_by: int, name: str, description: str
    ) -> recipients.RecipientList:
        statement = (
            insert(tables.recipient_lists)
            .values(
                account_id=account_id,
                created_by=created_by,
                name=name,
                description=description,
                total_count=0,
                valid_count=0,
                created_at=self._now,
            )
            .returning(*tables.recipient_lists.c)
        )
        return _list((await self._connection.execute(statement)).one())

    async def get(self, account_id: int, list_id: int) -> recipients.RecipientList | None:
        table = tables.recipient_lists
        statement = select(table).where(table.c.account_id == account_id, table.c.id == list_id)
        return await fetch_one(self._connection, statement, _list)

    async def get_by_name(self, account_id: int, name: str) -> recipients.RecipientList | None:
        table = tables.recipient_lists
        statement = select(table).where(table.c.account_id == account_id, table.c.name == name).limit(1)
        return await fetch_one(self._connection, statement, _list)

    async def list(
        self, account_id: int, window: paging.Window, *, keyword: str | None, non_empty: bool | None
    ) -> paging.Page[recipients.RecipientList]:
        table = tables.recipient_lists
        statement = select(table).where(table.c.account_id == account_id)
        if keyword:
            statement = statement.where(table.c.name.ilike(escape_like(keyword), escape="\\"))
        if non_empty is not None:
            statement = statement.where(table.c.total_count > 0 if non_empty else table.c.total_count == 0)
        return await fetch_page(self._connection, statement.order_by(table.c.id.desc()), window, _list)

    async def delete(self, account_id: int, list_id: int) -> bool:
        table = tables.recipient_lists
        statement = delete(table).where(table.c.account_id == account_id, table.c.id == list_id)
        return (await self._connection.execute(statement)).rowcount > 0

    async def add_recipients(self, list_id: int, rows: builtins.list[recipients.RecipientInput]) -> None:
        if not rows:
            return
        values = [
            {
                "list_id": list_id,
                "address": row.address,
                "variables": row.variables_json,
                "valid": row.valid,
                "reason": row.reason,
                "created_at": self._now,
            }
            for row in rows
        ]
        await self._connection.execute(insert(tables.recipients), values)
        table = tables.recipient_lists
        await self._connection.execute(
            update(table)
            .where(table.c.id == list_id)
            .values(
                total_count=table.c.total_count + len(rows),
                valid_count=table.c.valid_count + sum(row.valid for row in rows),
            )
        )

    async def recipients_after(self, list_id: int, after_id: int, limit: int) -> builtins.list[recipients.Recipient]:
        """The next `limit` recipients of a list in id order, after `after_id` (keyset paging for exports)."""
        table = tables.recipients
        statement = (
            select(table).where(table.c.list_id == list_id, table.c.id > after_id).order_by(table.c.id).limit(limit)
        )
        return [_recipient(row) for row in await self._connection.execute(statement)]

    async def list_recipients(
        self,
        list_id: int,
        window: paging.Window,
        *,
        address_contains: str | None = None,
        valid: bool | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
    ) -> paging.Page[recipients.Recipient]:
        table = tables.recipients
        statement = select(table).where(table.c.list_id == list_id)
        if address_contains:
            statement = statement.where(table.c.address.ilike(escape_like(address_contains), escape="\\"))
        if valid is not None:
            statement = statement.where(table.c.valid == valid)
        if created_from is not None:
            statement = statement.where(table.c.created_at >= created_from)
        if created_until is not None:
            statement = statement.where(table.c.created_at < created_until)
        return await fetch_page(self._connection, statement.order_by(table.c.id), window, _recipient)
