"""Listing batch tasks fast at 10^6 rows: each page, and the total that matched, in one statement.

- The total is a sum over the few rows of ``task_facets`` (an admin's listing filtered on at most one of state,
  type and list; a member's unfiltered listing) or else of ``task_counts`` that match the filter, both kept by
  triggers with every task change; for a member, its own tasks' counts plus the granted tasks of others,
  counted directly (grants are few). It is exactly the number of rows the visibility rule and filter select.
- The page's ids come from scans of an index ordered by id (``(account_id, kind, <filter column>, id)``), one
  per allowed state when the filter allows several and, for a member, one over its own tasks and one over
  those granted to it, merged in id order; only the page's rows are then read, by primary key.
- A page within the first ``BLOCK_SIZE`` tasks is read newest first. A deeper one, where ``task_blocks`` counts
  the listing (`task_blocks`), is read from the block that holds it, skipping less than a block; elsewhere from
  the nearer end, which the statement picks from the total (each way a branch whose LIMIT is 0 unless it is the
  one taken), so ``Offset`` 900,000 of 1,000,000 skips 100,000 ids, not 900,000.
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
    CTE,
    BigInteger,
    BindParameter,
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
    deep: bool  #: the page starts a block or more from the newest task: its way depends on the total

    @classmethod
    def of(cls, scope: TaskScope, task_filter: model.TaskFilter, window: paging.Window, *, postgres: bool) -> Shape:
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
            deep=window.offset >= task_blocks.BLOCK_SIZE,
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
    """How many tasks the listing selects, as one row with one column, ``total``: from the facets' totals where
    facets serve the listing, else from ``task_counts``."""
    counted: ColumnElement[Any]
    if shape.facets:
        counted = task_blocks.facet_total(shape.facets)
    else:
        counts = tables.task_counts
        condition = and_(counts.c.account_id == bindparam("account_id"), filter_condition(counts, shape))
        if shape.member:
            condition = condition & (counts.c.owner_id == bindparam("member_id"))
        counted = func.coalesce(select(func.sum(counts.c.task_count)).where(condition).scalar_subquery(), 0)
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


@dataclass(frozen=True)
class _Scan:
    """One scan of the listing's ids: `id` read in its index's order from `source`, where `condition` holds."""

    source: FromClause
    condition: ColumnElement[bool]
    id: ColumnElement[Any]


def _scans(shape: Shape) -> list[_Scan]:
    """The scans whose ids, merged, are the listing's. A filter on states alone is read one state at a time, each
    in its own index's order; with other filters, the states are one condition of a single scan (a state and a
    type that no task combines would otherwise have one scan read the whole state to find nothing). For a
    member, its own tasks, and the tasks granted to it read in the order of its grants (they are few; read from
    the tasks' side, a member without grants would have every task of the account read)."""
    task, grants = tables.tasks, tables.task_grants
    only_states = not (shape.type or shape.recipient_list or shape.owner or shape.paused)
    split = shape.states > 1 and only_states
    others = filter_condition(task, shape, states=not split)
    states = [task.c.state == bindparam(f"state_{number}") for number in range(shape.states)] if split else [true()]
    in_account = and_(task.c.account_id == bindparam("account_id"), task.c.kind == bindparam("batch"))
    if not shape.member:
        return [_Scan(task, and_(in_account, others, state), task.c.id) for state in states]
    member: BindParameter[Any] = bindparam("member_id")
    # A member's own tasks are all in its account: without the account in the condition, a scan by state reads
    # the owner's index alone, however few of the account's tasks the member owns.
    owned = and_(task.c.owner_id == member, task.c.kind == bindparam("batch"), others)
    own = [_Scan(task, and_(owned, state), task.c.id) for state in states]
    of_others = and_(in_account, filter_condition(task, shape), grants.c.user_id == member, task.c.owner_id != member)
    return [*own, _Scan(grants.join(task, task.c.id == grants.c.task_id), of_others, grants.c.task_id)]


def _at_least_zero(value: ColumnElement[Any]) -> ColumnElement[Any]:
    # SQLite has no greatest().
    return case((value > _ZERO, value), else_=_ZERO)


@dataclass(frozen=True)
class _Way:
    """One way to the page: which end the ids are read from, from which id on (`start`: ids below it when reading
    newest first, at or above it when reading oldest first), and, when it is `taken`, how many ids are skipped
    (`offset`) and kept (`limit`)."""

    newest_first: bool
    start: ColumnElement[Any] | None
    taken: ColumnElement[bool]
    limit: ColumnElement[Any]
    offset: ColumnElement[Any]

    def bound(self, task_id: ColumnElement[Any]) -> ColumnElement[bool]:
        if self.start is None:
            return true()
        return task_id < self.start if self.newest_first else task_id >= self.start

    def in_order(self, task_id: ColumnElement[Any]) -> ColumnElement[Any]:
        return task_id.desc() if self.newest_first else task_id.asc()


def _page_ids_by(shape: Shape, way: _Way) -> Select[Any]:
    """The ids one way gives: none (LIMIT 0) unless it is the way taken.

    Several scans (states, a member's own and granted tasks) are each read in order and cut at
    ``offset + limit`` before they are merged: PostgreSQL does not merge ordered scans of a UNION by itself.
    """
    limit = case((way.taken, way.limit), else_=_ZERO)
    offset = case((way.taken, way.offset), else_=_ZERO)
    scans = [
        select(scan.id.label("id"))
        .select_from(scan.source)
        .where(scan.condition, way.bound(scan.id))
        .order_by(way.in_order(scan.id))
        for scan in _scans(shape)
    ]
    if len(scans) == 1:
        chosen = scans[0].limit(limit).offset(offset).subquery()
        return select(chosen.c.id)
    reach = case((way.taken, way.offset + way.limit), else_=_ZERO)
    cut = [scan.limit(reach).subquery() for scan in scans]
    merged = union_all(*[select(part.c.id) for part in cut]).subquery("merged")
    chosen = select(merged.c.id).order_by(way.in_order(merged.c.id)).limit(limit).offset(offset).subquery()
    return select(chosen.c.id)


def _page_ids(shape: Shape, total: ColumnElement[Any]) -> CompoundSelect[Any] | Select[Any]:
    """The ids of the page, by whichever way the statement takes to it."""
    offset, limit = bindparam("offset", type_=BigInteger), bindparam("limit", type_=BigInteger)
    # No more than the total leaves: a scan stops at the last task that matches instead of looking on for more,
    # and one that can match nothing is not run at all.
    count = _at_least_zero(case((limit <= total - offset, limit), else_=total - offset))
    if not shape.deep:
        return _page_ids_by(shape, _Way(True, None, true(), count, offset))
    if shape.facets:
        # Two short walks from the newest end find the block, however deep the page.
        found = task_blocks.found_block(shape.facets, shape.member, offset)
        after_block = task_blocks.block_start(func.coalesce(found.block, 0) + 1)
        return _page_ids_by(shape, _Way(True, after_block, true(), count, offset - func.coalesce(found.before, 0)))
    newer_half = literal_column("2", BigInteger) * offset <= total
    from_oldest = _at_least_zero(total - offset - limit)  # the page's place counted from the oldest end
    ways = [_Way(True, None, newer_half, count, offset), _Way(False, None, ~newer_half, count, from_oldest)]
    return union_all(*[_page_ids_by(shape, way) for way in ways])


def _listed(shape: Shape) -> tuple[CTE, ColumnElement[bool]]:
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
