"""Listing batch tasks fast at 10^6 rows: the total from ``task_counts``, the page's ids from an index.

- The total is a sum over the few ``task_counts`` rows that match the filter (kept by triggers in the same
  transaction as every task change); for a member, its own tasks' counts plus the granted tasks of others,
  counted directly (grants are few). It is exactly the number of rows the visibility rule and filter select.
- The page's ids come from an index-only scan of ``(account_id, kind, <filter column>, id)``; only those ids'
  rows are then read. A page in the newer half of the result is read newest first in the same statement as
  the total: one round trip for the pages people read. Past the middle the scan runs from the oldest end, in
  a second statement, so ``Offset`` 900,000 of 1,000,000 skips 100,000 index entries instead of 900,000.
- Building these statements costs more than running them, so each is built once per shape (which filters
  are set, member or admin) with every value bound at execution. On PostgreSQL over asyncpg they run on the
  driver's connection (`asyncpg_statements`), with the states bound as one array.

Like any offset paging, a page read while tasks are being created may shift by the rows created meanwhile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, String, and_, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import paging
from mailyard.domain import tasks as model
from mailyard.domain.visibility import TaskScope
from mailyard.store import asyncpg_statements, tables

T = TypeVar("T")
# Selects the rows (every column `to_item` reads) of the tasks whose ids a select of ids gives.
RowsOf = Callable[[Select[Any]], Select[Any]]


@dataclass(frozen=True)
class Shape:
    """What a listing statement's text depends on; everything else is a bound value."""

    member: bool
    states: bool
    type: bool
    recipient_list: bool
    owner: bool
    paused: bool
    states_array: bool = False  #: the states bound as one array (PostgreSQL), not expanded into a list

    @classmethod
    def of(cls, scope: TaskScope, task_filter: model.TaskFilter, *, states_array: bool = False) -> Shape:
        return cls(
            member=scope.member_id is not None,
            states=_states(task_filter) is not None,
            type=task_filter.type is not None,
            recipient_list=task_filter.recipient_list_id is not None,
            owner=task_filter.owner_nickname is not None,
            paused=task_filter.paused is not None,
            states_array=states_array,
        )


def bound_values(scope: TaskScope, task_filter: model.TaskFilter, window: paging.Window) -> dict[str, Any]:
    """The values of a listing statement's parameters."""
    states = _states(task_filter)
    return {
        "account_id": scope.account_id,
        "member_id": scope.member_id,
        "batch": model.TaskKind.BATCH.value,
        "states": None if states is None else [state.value for state in states],
        "task_type": None if task_filter.type is None else int(task_filter.type),
        "recipient_list_id": task_filter.recipient_list_id,
        "owner_nickname": task_filter.owner_nickname,
        "paused": task_filter.paused,
        "offset": window.offset,
        "limit": max(window.limit, 0),
        "doubled_offset": 2 * window.offset,
    }


def _states(task_filter: model.TaskFilter) -> tuple[model.TaskState, ...] | None:
    if task_filter.state is None:
        return task_filter.states
    if task_filter.states is None:
        return (task_filter.state,)
    return tuple(state for state in task_filter.states if state is task_filter.state)


def filter_condition(table: Any, shape: Shape) -> ColumnElement[bool]:
    """The filter over `tasks` or `task_counts`; an owner is named by nickname, unique in its account."""
    columns = table.c
    condition: ColumnElement[bool] = true()
    if shape.states and shape.states_array:
        condition = condition & (columns.state == any_(bindparam("states", type_=ARRAY(String))))
    elif shape.states:
        condition = condition & columns.state.in_(bindparam("states", expanding=True))
    if shape.type:
        condition = condition & (columns.task_type == bindparam("task_type"))
    if shape.recipient_list:
        condition = condition & (columns.recipient_list_id == bindparam("recipient_list_id"))
    if shape.owner:
        users = tables.users
        owner = select(users.c.id).where(
            users.c.account_id == bindparam("account_id"), users.c.nickname == bindparam("owner_nickname")
        )
        condition = condition & (columns.owner_id == owner.scalar_subquery())
    if shape.paused:
        condition = condition & (columns.paused == bindparam("paused"))
    return condition


def listed_condition(shape: Shape) -> ColumnElement[bool]:
    """Which `tasks` rows a listing shows: batch tasks in the scope that pass the filter."""
    task, grants = tables.tasks, tables.task_grants
    condition = and_(
        task.c.account_id == bindparam("account_id"),
        task.c.kind == bindparam("batch"),
        filter_condition(task, shape),
    )
    if not shape.member:
        return condition
    granted = select(grants.c.task_id).where(grants.c.user_id == bindparam("member_id"))
    return condition & ((task.c.owner_id == bindparam("member_id")) | task.c.id.in_(granted))


def count_statement(shape: Shape) -> Select[Any]:
    """How many tasks `listed_condition` selects, as one row with one column, ``total``."""
    counts = tables.task_counts
    condition = and_(counts.c.account_id == bindparam("account_id"), filter_condition(counts, shape))
    if shape.member:
        condition = condition & (counts.c.owner_id == bindparam("member_id"))
    counted: ColumnElement[Any] = func.coalesce(
        select(func.sum(counts.c.task_count)).where(condition).scalar_subquery(), 0
    )
    if shape.member:
        counted = counted + _granted_of_others(shape).scalar_subquery()
    return select(counted.label("total"))


def _granted_of_others(shape: Shape) -> Select[Any]:
    task, grants = tables.tasks, tables.task_grants
    return (
        select(func.count())
        .select_from(grants.join(task, task.c.id == grants.c.task_id))
        .where(
            grants.c.user_id == bindparam("member_id"),
            task.c.owner_id != bindparam("member_id"),
            task.c.account_id == bindparam("account_id"),
            task.c.kind == bindparam("batch"),
            filter_condition(task, shape),
        )
    )


@functools.cache
def newest_first_statement(rows_of: RowsOf, shape: Shape) -> Select[Any]:
    """The total and, when the page lies in the newer half of the result, the page's rows, newest first. For a
    page past the middle the scan of ids is switched off (a one-time filter), so nothing is read and one row
    carries the total alone."""
    task_id = tables.tasks.c.id
    total = count_statement(shape).cte("listed_total")
    in_newer_half = bindparam("doubled_offset") <= select(total.c.total).scalar_subquery()
    ids = (
        select(task_id)
        .where(listed_condition(shape), in_newer_half)
        .order_by(task_id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    page = rows_of(ids).subquery("page")
    return select(total.c.total, page).select_from(total.outerjoin(page, true())).order_by(page.c.id.desc())


@functools.cache
def oldest_end_statement(rows_of: RowsOf, shape: Shape) -> Select[Any]:
    """The page's rows, newest first, from ids read from the oldest end (``offset`` and ``limit`` counted
    from there)."""
    task_id = tables.tasks.c.id
    ids = (
        select(task_id)
        .where(listed_condition(shape))
        .order_by(task_id.asc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return rows_of(ids).order_by(task_id.desc())


async def fetch_listed(
    connection: AsyncConnection,
    rows_of: RowsOf,
    scope: TaskScope,
    task_filter: model.TaskFilter,
    window: paging.Window,
    to_item: Callable[[Mapping[str, Any]], T],
) -> paging.Page[T]:
    """A page of listed tasks, newest first, and the total that matched."""
    on_driver = asyncpg_statements.supported(connection)
    shape = Shape.of(scope, task_filter, states_array=on_driver)
    values = bound_values(scope, task_filter, window)
    rows = await _fetch(connection, newest_first_statement(rows_of, shape), values, on_driver)
    total = int(rows[0]["total"])
    if rows[0]["id"] is not None:
        return paging.Page([to_item(row) for row in rows], total)
    offset, limit = window.offset, window.limit
    if 2 * offset <= total or offset >= total or limit <= 0:
        return paging.Page([], total)
    start = max(0, total - offset - limit)
    values |= {"offset": start, "limit": total - offset - start}
    page = await _fetch(connection, oldest_end_statement(rows_of, shape), values, on_driver)
    return paging.Page([to_item(row) for row in page], total)


async def _fetch(
    connection: AsyncConnection, statement: Select[Any], values: dict[str, Any], on_driver: bool
) -> Sequence[Mapping[str, Any]]:
    if on_driver:
        return await asyncpg_statements.compiled(statement, connection.dialect).fetch(connection, values)
    return [row._asdict() for row in await connection.execute(statement, values)]
