"""Shared statement pieces of the repositories: paging and result mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import paging

T = TypeVar("T")


async def fetch_page(
    connection: AsyncConnection,
    statement: Select[Any],
    window: paging.Window,
    to_item: Callable[[Row[Any]], T],
) -> paging.Page[T]:
    """Run a filtered, ordered select as a page plus the total that matched the filter."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    total = (await connection.execute(counted)).scalar_one()
    rows = (await connection.execute(statement.offset(window.offset).limit(window.limit))).all()
    return paging.Page([to_item(row) for row in rows], total)


async def fetch_one(connection: AsyncConnection, statement: Select[Any], to_item: Callable[[Row[Any]], T]) -> T | None:
    row = (await connection.execute(statement)).first()
    return None if row is None else to_item(row)


def escape_like(text: str) -> str:
    """A LIKE pattern that matches `text` literally anywhere (escape character `\\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
