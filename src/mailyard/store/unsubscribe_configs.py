"""Address-level unsubscribe configurations: one per sender address of an account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import paging, unsubscribe
from mailyard.store import tables
from mailyard.store.rows import fetch_one, fetch_page


def _config(row: Row[Any]) -> unsubscribe.UnsubscribeConfig:
    return unsubscribe.UnsubscribeConfig(
        id=row.id,
        account_id=row.account_id,
        address=row.address,
        language=row.language,
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlUnsubscribeConfigs:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(
        self, *, account_id: int, address: str, language: str, enabled: bool
    ) -> unsubscribe.UnsubscribeConfig:
        table = tables.unsubscribe_configs
        await self._connection.execute(
            table.insert().values(
                account_id=account_id,
                address=address,
                language=language,
                enabled=enabled,
                created_at=self._now,
                updated_at=self._now,
            )
        )
        created = await self.get(account_id, address)
        assert created is not None
        return created

    async def get(self, account_id: int, address: str) -> unsubscribe.UnsubscribeConfig | None:
        table = tables.unsubscribe_configs
        statement = select(table).where(table.c.account_id == account_id, table.c.address == address)
        return await fetch_one(self._connection, statement, _config)

    async def list(self, account_id: int, window: paging.Window) -> paging.Page[unsubscribe.UnsubscribeConfig]:
        table = tables.unsubscribe_configs
        statement = select(table).where(table.c.account_id == account_id).order_by(table.c.id)
        return await fetch_page(self._connection, statement, window, _config)

    async def update(self, *, account_id: int, address: str, language: str, enabled: bool) -> bool:
        table = tables.unsubscribe_configs
        statement = (
            update(table)
            .where(table.c.account_id == account_id, table.c.address == address)
            .values(language=language, enabled=enabled, updated_at=self._now)
        )
        return bool((await self._connection.execute(statement)).rowcount)

    async def delete(self, account_id: int, address: str) -> bool:
        table = tables.unsubscribe_configs
        statement = delete(table).where(table.c.account_id == account_id, table.c.address == address)
        return bool((await self._connection.execute(statement)).rowcount)
