"""Every encrypted column of the store, walked in (column, id) order for re-encryption under a new key."""

from __future__ import annotations

import builtins

from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.ports.secrets import SealedPlace
from mailyard.store import tables

# The order of this tuple is part of the cursor: append new sealed columns at the end.
SEALED_COLUMNS: tuple[tuple[Table, str], ...] = (
    (tables.access_keys, "sealed_secret"),
    (tables.sending_domains, "sealed_dkim_key"),
    (tables.webhook_endpoints, "secret_sealed"),
)


class SqlSealedSecrets:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def page(self, after: SealedPlace | None, limit: int) -> builtins.list[tuple[SealedPlace, str]]:
        found: builtins.list[tuple[SealedPlace, str]] = []
        column_index, last_id = after or (0, 0)
        while column_index < len(SEALED_COLUMNS) and len(found) < limit:
            table, column = _sealed(column_index)
            statement = (
                select(table.c.id, column)
                .where(table.c.id > last_id, column.is_not(None))
                .order_by(table.c.id)
                .limit(limit - len(found))
            )
            rows = (await self._connection.execute(statement)).all()
            found.extend(((column_index, row[0]), row[1]) for row in rows)
            if len(found) < limit:
                column_index, last_id = column_index + 1, 0
        return found

    async def replace(self, place: SealedPlace, old: str, new: str) -> bool:
        table, column = _sealed(place[0])
        statement = update(table).where(table.c.id == place[1], column == old).values({column.name: new})
        return bool((await self._connection.execute(statement)).rowcount)


def _sealed(index: int) -> tuple[Table, Column[str]]:
    table, name = SEALED_COLUMNS[index]
    return table, table.c[name]
