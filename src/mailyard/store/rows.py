"""Shared statement pieces of the repositories: paging, result mapping, and rows of values to update from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import FromClause, Select, bindparam, column, func, select, values
from sqlalchemy.dialects import postgresql
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


def rows_as_values(
    connection: AsyncConnection, name: str, columns: Sequence[tuple[str, Any]], rows: Sequence[Sequence[Any]]
) -> FromClause:
    """Many rows of values as one FROM item named `name`, for an UPDATE that gives each row its own values in
    one statement.

    An executemany runs its statement once per row, and PostgreSQL's statement triggers on ``tasks`` with it
    (migration 0017). On PostgreSQL the rows travel as one typed array per column, ``unnest``-ed: the statement
    is the same whatever the rows, so it is compiled and prepared once (a VALUES list of 500 rows took longer
    to compile than to run). SQLite, with no arrays, reads a VALUES list, named in a WITH (it takes no column
    names after a VALUES alias).
    """
    if connection.dialect.name == "postgresql":
        by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        arrays = [
            bindparam(f"{name}_{key}", list(values_), type_=postgresql.ARRAY(type_))
            for (key, type_), values_ in zip(columns, by_column, strict=True)
        ]
        unnested = func.unnest(*arrays).table_valued(*(column(key, type_) for key, type_ in columns))
        return unnested.render_derived(name=name)
    listed = values(*(column(key, type_) for key, type_ in columns), name=name)
    return listed.data([tuple(row) for row in rows]).cte(name)
