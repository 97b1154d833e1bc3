"""Message templates."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import paging, templates
from mailyard.store import tables
from mailyard.store.rows import fetch_one, fetch_page


def _template(row: Row[Any]) -> templates.Template:
    return templates.Template(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        subject=row.subject,
        text=row.text,
        html=row.html,
        review_status=templates.ReviewStatus(row.review_status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


class SqlTemplates:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(
        self,
        *,
        account_id: int,
        created_by: int,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
        review_status: templates.ReviewStatus,
    ) -> templates.Template:
        statement = (
            insert(tables.templates)
            .values(
                account_id=account_id,
                created_by=created_by,
                name=name,
                subject=subject,
                text=text,
                html=html,
                review_status=int(review_status),
                created_at=self._now,
                updated_at=self._now,
            )
            .returning(*tables.templates.c)
        )
        return _template((await self._connection.execute(statement)).one())

    async def get(self, account_id: int, template_id: int) -> templates.Template | None:
        table = tables.templates
        statement = select(table).where(table.c.account_id == account_id, table.c.id == template_id)
        return await fetch_one(self._connection, statement, _template)

    async def get_many(self, template_ids: Collection[int]) -> dict[int, templates.Template]:
        """By id, across accounts: the caller checks each one's account."""
        table = tables.templates
        statement = select(table).where(table.c.id.in_(sorted(template_ids)))
        return {row.id: _template(row) for row in await self._connection.execute(statement)}

    async def list(self, account_id: int, window: paging.Window) -> paging.Page[templates.Template]:
        table = tables.templates
        statement = select(table).where(table.c.account_id == account_id).order_by(table.c.id.desc())
        return await fetch_page(self._connection, statement, window, _template)

    async def update(
        self,
        *,
        account_id: int,
        template_id: int,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
        review_status: templates.ReviewStatus,
    ) -> templates.Template | None:
        table = tables.templates
        statement = (
            update(table)
            .where(table.c.account_id == account_id, table.c.id == template_id)
            .values(
                name=name,
                subject=subject,
                text=text,
                html=html,
                review_status=int(review_status),
                updated_at=self._now,
            )
            .returning(*table.c)
        )
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _template(row)

    async def set_review_status(
        self, account_id: int, template_id: int, review_status: templates.ReviewStatus
    ) -> templates.Template | None:
        table = tables.templates
        statement = (
            update(table)
            .where(table.c.account_id == account_id, table.c.id == template_id)
            .values(review_status=int(review_status), updated_at=self._now)
            .returning(*table.c)
        )
        row = (await self._connection.execute(statement)).first()
        return None if row is None else _template(row)

    async def delete(self, account_id: int, template_id: int) -> bool:
        table = tables.templates
        statement = delete(table).where(table.c.account_id == account_id, table.c.id == template_id)
        return (await self._connection.execute(statement)).rowcount > 0
