"""Listing batch tasks fast at 10^6 rows: the total from ``task_counts``, the page's ids from an index.

- The total is a sum over the few ``task_counts`` rows that match the filter (kept by triggers in the same
  transaction as every task change); for a member, its own tasks' counts plus the granted tasks of others,
  counted directly (grants are few). It is exactly the number of rows the visibility rule and filter select.
- The page's ids come from an index-only scan of ``(account_id, kind, <filter column>, id)``; past the middle
  of the result the scan runs from the oldest end, so ``Offset`` 900,000 of 1,000,000 skips 100,000 index
  entries instead of 900,000. Only those ids' rows are then read.

Like any offset paging, a page read while tasks are being created may shift by the rows created meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, select, true
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import paging
from mailyard.domain import tasks as model
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables

T = TypeVar("T")


def filter_condition(table: Any, account_id: int, task_filter: model.TaskFilter) -> ColumnElement[bool]:
    """The filter over `tasks` or `task_counts`; an owner is named by nickname, unique in its account."""
    columns = table.c
    condition: ColumnElement[bool] = true()
    states = _states(task_filter)
    if states is not None:
        condition = condition & columns.state.in_([state.value for state in states])
    if task_filter.type is not None:
        condition = condition & (columns.task_type == int(task_filter.type))
    if task_filter.recipient_list_id is not None:
        condition = condition & (columns.recipient_list_id == task_filter.recipient_list_id)
    if task_filter.owner_nickname is not None:
        users = tables.users
        owner = select(users.c.id).where(
            users.c.account_id == account_id, users.c.nickname == task_filter.owner_nickname
        )
        condition = condition & (columns.owner_id == owner.scalar_subquery())
    if task_filter.paused is not None:
        condition = condition & (columns.paused == task_filter.paused)
    return condition


def _states(task_filter: model.TaskFilter) -> tuple[model.TaskState, ...] | None:
    if task_filter.state is None:
        return task_filter.states
    if task_filter.states is None:
        return (task_filter.state,)
    return tuple(state for state in task_filter.states if state is task_filter.state)


def listed_condition(scope: TaskScope, task_filter: model.TaskFilter) -> ColumnElement[bool]:
    """Which `tasks` rows a listing shows: batch tasks in the scope that pass the filter."""
    task, grants = tables.tasks, tables.task_grants
    condition = and_(
        task.c.account_id == scope.account_id,
        task.c.kind == model.TaskKind.BATCH.value,
        filter_condition(task, scope.account_id, task_filter),
    )
    if scope.member_id is None:
        return condition
    granted = select(grants.c.task_id).where(grants.c.user_id == scope.member_id)
    return condition & ((task.c.owner_id == scope.member_id) | task.c.id.in_(granted))


async def count_listed(connection: AsyncConnection, scope: TaskScope, task_filter: model.TaskFilter) -> int:
    """How many tasks `listed_condition` selects, without reading them."""
    counts = tables.task_counts
    condition = and_(counts.c.account_id == scope.account_id, filter_condition(counts, scope.account_id, task_filter))
    if scope.member_id is not None:
        condition = condition & (counts.c.owner_id == scope.member_id)
    total = (await connection.execute(select(func.sum(counts.c.task_count)).where(condition))).scalar_one()
    if scope.member_id is not None:
        total = (total or 0) + await _granted_of_others(connection, scope, task_filter)
    return int(total or 0)


async def _granted_of_others(connection: AsyncConnection, scope: TaskScope, task_filter: model.TaskFilter) -> int:
    task, grants = tables.tasks, tables.task_grants
    statement = (
        select(func.count())
        .select_from(grants.join(task, task.c.id == grants.c.task_id))
        .where(
            grants.c.user_id == scope.member_id,
            task.c.owner_id != scope.member_id,
            task.c.account_id == scope.account_id,
            task.c.kind == model.TaskKind.BATCH.value,
            filter_condition(task, scope.account_id, task_filter),
        )
    )
    return int((await connection.execute(statement)).scalar_one())


async def page_ids(
    connection: AsyncConnection, condition: ColumnElement[bool], window: paging.Window, total: int
) -> list[int]:
    """The ids of the page, newest first, read from the nearer end of the `total` matching rows."""
    task_id = tables.tasks.c.id
    offset, limit = window.offset, window.limit
    if offset >= total or limit <= 0:
        return []
    if offset <= total // 2:
        statement = select(task_id).where(condition).order_by(task_id.desc()).offset(offset).limit(limit)
        return list((await connection.execute(statement)).scalars())
    start = max(0, total - offset - limit)
    statement = select(task_id).where(condition).order_by(task_id.asc()).offset(start).limit(total - offset - start)
    return sorted((await connection.execute(statement)).scalars(), reverse=True)


async def fetch_listed(
    connection: AsyncConnection,
    rows_of: Callable[[list[int]], Select[Any]],
    scope: TaskScope,
    task_filter: model.TaskFilter,
    window: paging.Window,
    to_item: Callable[[Row[Any]], T],
) -> paging.Page[T]:
    """A page of listed tasks (`rows_of(ids)` selects the full rows) and the total that matched."""
    total = await count_listed(connection, scope, task_filter)
    ids = await page_ids(connection, listed_condition(scope, task_filter), window, total)
    if not ids:
        return paging.Page([], total)
    rows = await connection.execute(rows_of(ids).order_by(tables.tasks.c.id.desc()))
    return paging.Page([to_item(row) for row in rows], total)
