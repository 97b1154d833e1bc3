"""Listing batch tasks fast at 10^6 rows: each page, and the total that matched, in one statement.

- The total is a sum over the few ``task_counts`` rows that match the filter (kept by triggers in the same
  transaction as every task change); for a member, its own tasks' counts plus the granted tasks of others,
  counted directly (grants are few). It is exactly the number of rows the visibility rule and filter select.
- The page's ids come from scans of an index ordered by id (``(account_id, kind, <filter column>, id)``), one
  per allowed state when the filter allows several and, for a member, one over its own tasks and one over
  those granted to it, merged in id order; only the page's rows are then read, by primary key.
- The statement picks the way to the page from the total: a page in the newer half is read newest first,
  past the middle from the oldest end, so ``Offset`` 900,000 of 1,000,000 skips 100,000 ids, not 900,000; and
  where ``task_blocks`` counts the listing (`task_blocks`), a page deeper than a block is read from the block
  that holds it, skipping less than a block. Each way is a branch whose LIMIT is 0 unless it is the one taken.
- Every plan is the right one whatever the values: each scan is read in index order and cut by its own LIMIT,
  and the page's rows are fetched by primary key from one array of ids (`sql_arrays`). So PostgreSQL's
  generic plan, which sees no values, serves every request: the read pool (`read_pool`) asks for it, and a
  statement is planned once per connection instead of at every request, which cost more than running it.
- Building these statements costs more than running them too, so each is built once per shape (which filters
  are set, member or admin) with every value bound at execution. On PostgreSQL they run on asyncpg itself
  (`asyncpg_statements`), and a page of documents (domain/documents.py) is rendered into JSON by the database.

Like any offset paging, a page read while tasks are being created may shift by the rows created meanwhile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CompoundSelect,
    FromClause,
    Select,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    true,
    union_all,
)

from mailyard.domain import documents, paging
from mailyard.domain import tasks as model
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables, task_blocks, task_documents
from mailyard.store.sql_arrays import ArrayOf

# Selects the rows (the columns a listing reads) of the tasks that match a condition on `tasks`.
RowsOf = Callable[[ColumnElement[bool]], Select[Any]]
_ZERO = literal_column("0", BigInteger)


@dataclass(frozen=True)
class Shape:
    """What a listing statement's text depends on; everything else is a bound value."""

    member: bool
    states: int  #: how many states the filter allows (bound as state_0, state_1, ...); 0 for any
    type: bool
    recipient_list: bool
    owner: bool
    paused: bool
    facets: int  #: how many task_blocks facets add up to the listing (bound as facet_0, ...); 0 for none
    postgres: bool  #: ids passed as one array; documents rendered by the database

    @classmethod
    def of(cls, scope: TaskScope, task_filter: model.TaskFilter, *, postgres: bool) -> Shape:
        states = _states(task_filter)
        return cls(
            member=scope.member_id is not None,
            states=len(_state_values(states)),
            type=task_filter.type is not None,
            recipient_list=task_filter.recipient_list_id is not None,
            owner=task_filter.owner_nickname is not None,
            paused=task_filter.paused is not None,
            facets=len(task_blocks.facets(scope, task_filter, states)),
            postgres=postgres,
        )


def bound_values(scope: TaskScope, task_filter: model.TaskFilter, window: paging.Window) -> dict[str, Any]:
    """The values of a listing statement's parameters."""
    states = _states(task_filter)
    values: dict[str, Any] = {
        "account_id": scope.account_id,
        "member_id": scope.member_id,
        "batch": model.TaskKind.BATCH.value,
        "task_type": None if task_filter.type is None else int(task_filter.type),
        "recipient_list_id": task_filter.recipient_list_id,
        "owner_nickname": task_filter.owner_nickname,
        "paused": task_filter.paused,
        "offset": window.offset,
        "limit": max(window.limit, 0),
    }
    values |= {f"state_{number}": value for number, value in enumerate(_state_values(states))}
    facets = task_blocks.facets(scope, task_filter, states)
    values |= {f"facet_{number}": facet for number, facet in enumerate(facets)}
    return values


def _states(task_filter: model.TaskFilter) -> tuple[model.TaskState, ...] | None:
    """The states the filter allows, each once, in a fixed order; None for any."""
    allowed = task_filter.states
    if task_filter.state is not None:
        allowed = (task_filter.state,) if allowed is None else tuple(s for s in allowed if s is task_filter.state)
    return None if allowed is None else tuple(sorted(set(allowed)))


def _state_values(states: tuple[model.TaskState, ...] | None) -> list[str]:
    """The values bound as state_0, state_1, ...: none for any state, and one that no task has when the filter
    allows no state at all."""
    if states is None:
        return []
    return [state.value for state in states] or [""]


def filter_condition(table: Any, shape: Shape, *, states: bool = True) -> ColumnElement[bool]:
    """The filter over `tasks` or `task_counts`; an owner is named by nickname, unique in its account. States are
    left to the caller when `states` is false (a scan reads one state at a time)."""
    columns = table.c
    condition: ColumnElement[bool] = true()
    if shape.states and states:
        condition = condition & columns.state.in_([bindparam(f"state_{n}") for n in range(shape.states)])
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


def count_statement(shape: Shape) -> Select[Any]:
    """How many tasks the listing selects, as one row with one column, ``total``."""
    counts = tables.task_counts
    condition = and_(counts.c.account_id == bindparam("account_id"), filter_condition(counts, shape))
    if shape.member:
        condition = condition & (counts.c.owner_id == bindparam("member_id"))
    counted: ColumnElement[Any] = func.coalesce(
        select(func.sum(counts.c.task_count)).where(condition).scalar_subquery(), 0
    )
    if shape.member:
        task, grants = tables.tasks, tables.task_grants
        granted_of_others = (
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
        counted = counted + granted_of_others.scalar_subquery()
    return select(cast(counted, BigInteger).label("total"))


def _scans(shape: Shape) -> list[tuple[FromClause, ColumnElement[bool]]]:
    """The scans whose ids, merged, are the listing's: one per allowed state, each for a member's own tasks and
    for those granted to it."""
    task, grants = tables.tasks, tables.task_grants
    common = and_(
        task.c.account_id == bindparam("account_id"),
        task.c.kind == bindparam("batch"),
        filter_condition(task, shape, states=False),
    )
    states = [task.c.state == bindparam(f"state_{number}") for number in range(shape.states)] or [true()]
    scopes: list[tuple[FromClause, ColumnElement[bool]]] = [(task, true())]
    if shape.member:
        granted = and_(grants.c.user_id == bindparam("member_id"), task.c.owner_id != bindparam("member_id"))
        scopes = [
            (task, task.c.owner_id == bindparam("member_id")),
            (grants.join(task, task.c.id == grants.c.task_id), granted),
        ]
    return [(source, and_(common, state, scope)) for source, scope in scopes for state in states]


def _at_least_zero(value: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite has no greatest().
    return case((value > _ZERO, value), else_=_ZERO)


@dataclass(frozen=True)
class _Way:
    """One way to the page: which end the ids are read from, past which bound, and, when it is `taken`, how
    many of them are skipped (`offset`) and kept (`limit`)."""

    newest_first: bool
    bound: ColumnElement[bool]
    taken: ColumnElement[bool]
    limit: ColumnElement[Any]
    offset: ColumnElement[Any]


def _page_ids_by(shape: Shape, way: _Way) -> Select[Any]:
    """The ids one way gives: none (LIMIT 0) unless it is the way taken.

    Several scans (states, a member's own and granted tasks) are each read in order and cut at
    ``offset + limit`` before they are merged: PostgreSQL does not merge ordered scans of a UNION by itself.
    """
    task = tables.tasks
    limit = case((way.taken, way.limit), else_=_ZERO)
    offset = case((way.taken, way.offset), else_=_ZERO)
    scans = [select(task.c.id).select_from(source).where(condition, way.bound) for source, condition in _scans(shape)]
    if len(scans) == 1:
        chosen = scans[0].order_by(_in_order(task.c.id, way)).limit(limit).offset(offset).subquery()
        return select(chosen.c.id)
    reach = case((way.taken, way.offset + way.limit), else_=_ZERO)
    cut = [scan.order_by(_in_order(task.c.id, way)).limit(reach).subquery() for scan in scans]
    merged = union_all(*[select(part.c.id) for part in cut]).subquery("merged")
    chosen = select(merged.c.id).order_by(_in_order(merged.c.id, way)).limit(limit).offset(offset).subquery()
    return select(chosen.c.id)


def _in_order(column: ColumnElement[Any], way: _Way) -> ColumnElement[Any]:
    return column.desc() if way.newest_first else column.asc()


def _page_ids(shape: Shape, total: ColumnElement[Any]) -> CompoundSelect[Any]:
    """The ids of the page, by whichever way the statement takes to it."""
    task = tables.tasks
    offset, limit = bindparam("offset", type_=BigInteger), bindparam("limit", type_=BigInteger)
    newer_half = literal_column("2", BigInteger) * offset <= total
    from_oldest = _at_least_zero(total - offset - limit)  # the page's place counted from the oldest end
    count = _at_least_zero(case((limit <= total - offset, limit), else_=total - offset))
    if not shape.facets:
        ways = [
            _Way(True, true(), newer_half, limit, offset),
            _Way(False, true(), ~newer_half, count, from_oldest),
        ]
        return union_all(*[_page_ids_by(shape, way) for way in ways])
    shallow = offset < task_blocks.BLOCK_SIZE
    newer = task_blocks.found_block(shape.facets, shape.member, offset, newest_first=True)
    older = task_blocks.found_block(shape.facets, shape.member, from_oldest, newest_first=False)
    below_newer = task.c.id < task_blocks.block_start(func.coalesce(newer.block, 0) + 1)
    from_older = task.c.id >= task_blocks.block_start(func.coalesce(older.block, 0))
    ways = [
        _Way(True, true(), shallow, limit, offset),
        _Way(True, below_newer, ~shallow & newer_half, limit, offset - func.coalesce(newer.before, 0)),
        _Way(False, from_older, ~shallow & ~newer_half, count, from_oldest - func.coalesce(older.before, 0)),
    ]
    return union_all(*[_page_ids_by(shape, way) for way in ways])


def _listed(shape: Shape) -> tuple[Any, ColumnElement[bool]]:
    """The total (a CTE with one row) and the condition that picks the page's rows of `tasks`."""
    listed_total = count_statement(shape).cte("listed_total")
    ids = _page_ids(shape, select(listed_total.c.total).scalar_subquery())
    task_id = tables.tasks.c.id
    return listed_total, task_id == any_(ArrayOf(ids)) if shape.postgres else task_id.in_(ids)


@functools.cache
def rows_statement(rows_of: RowsOf, shape: Shape) -> Select[Any]:
    """The total and the page's rows, newest first; one row with the total alone for an empty page."""
    listed_total, in_page = _listed(shape)
    page = rows_of(in_page).subquery("page")
    return (
        select(listed_total.c.total, page).select_from(listed_total.outerjoin(page, true())).order_by(page.c.id.desc())
    )


@functools.cache
def documents_statement(document: documents.Document, shape: Shape) -> Select[Any]:
    """The total and the page's documents as one JSON array text (PostgreSQL): columns ``total``, ``documents``."""
    listed_total, in_page = _listed(shape)
    rendered = task_documents.rendered_page(document, in_page)
    return select(listed_total.c.total, rendered.label("documents")).select_from(listed_total)
