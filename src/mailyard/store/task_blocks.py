"""Totals and deep pages from ``task_facets`` and ``task_blocks``: no counting, no skipping every task before
a page.

``task_facets`` and ``task_blocks`` (kept by triggers, migration 0006) count each account's batch tasks under a
few facets (all of them, and those of one state, task type, recipient list or owner): in all, and per block of
task ids, in large blocks of ``LARGE_BLOCK`` ids and small ones of ``BLOCK_SIZE``. When a listing selects
exactly the tasks of some facets (an admin's listing filtered on at most one of state, type and list; a member's
unfiltered listing, which adds the tasks granted to it), its total is the facets' totals, and a deep page is
found by adding up counts from the newest end: the large blocks until the one that holds the page, then that
block's small ones. At most a small block of ids is skipped to reach the page, however deep it is; the two walks read
a few dozen counts at most (a million tasks fill 16 large blocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    union_all,
)

from mailyard.domain import tasks as model
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables

LARGE_BLOCK, BLOCK_SIZE = 65_536, 1_024  # the sizes migration 0006's triggers count in
SMALL_PER_LARGE = LARGE_BLOCK // BLOCK_SIZE


def facets(scope: TaskScope, task_filter: model.TaskFilter, states: Sequence[model.TaskState] | None) -> list[str]:
    """The facets whose counts add up to the listing's tasks, block by block; empty when no facets do."""
    if task_filter.owner_nickname is not None or task_filter.paused is not None:
        return []
    if scope.member_id is not None:
        plain = states is None and task_filter.type is None and task_filter.recipient_list_id is None
        return [f"owner:{scope.member_id}"] if plain else []
    dimensions = [
        [f"state:{state.value}" for state in states] if states is not None else None,
        [f"type:{int(task_filter.type)}"] if task_filter.type is not None else None,
        [f"list:{task_filter.recipient_list_id}"] if task_filter.recipient_list_id is not None else None,
    ]
    chosen = [dimension for dimension in dimensions if dimension is not None]
    if not chosen:
        return ["all"]
    return chosen[0] if len(chosen) == 1 else []


@dataclass(frozen=True)
class FoundBlock:
    """Where a page starts: its block (of ``BLOCK_SIZE`` ids), and how many listed tasks are newer than it."""

    block: ColumnElement[Any]
    before: ColumnElement[Any]


def found_block(facet_count: int, member: bool, position: ColumnElement[Any]) -> FoundBlock:
    """The block holding the task at `position` (0 for the newest) of the listing: the large block that holds
    it first, then the small block within that one, so that neither walk is long.

    The facets are bound as ``facet_0`` ... ``facet_<n-1>``; for a member, the tasks granted to it by others
    are counted from the grants themselves (they are few).
    """
    large = _walk(_Counts(facet_count, member, LARGE_BLOCK), position, "large_block")
    small = _walk(_Counts(facet_count, member, BLOCK_SIZE, within=large.block), position - large.before, "block")
    return FoundBlock(block=small.block, before=large.before + small.before)


@dataclass(frozen=True)
class _Counts:
    """The listing's tasks per block of `size` ids (only those inside the large block `within`, if given)."""

    facet_count: int
    member: bool
    size: int
    within: ColumnElement[Any] | None = None


def _walk(counts: _Counts, position: ColumnElement[Any], name: str) -> FoundBlock:
    """Adds up the blocks' counts from the newest block on until they pass `position`."""
    counted = _counts_per_block(counts).subquery("counted")
    walked = select(
        counted.c.block,
        counted.c.in_block,
        cast(func.sum(counted.c.in_block).over(order_by=counted.c.block.desc()), BigInteger).label("reached"),
    ).subquery("walked")
    found: CTE = (
        select(walked.c.block, (walked.c.reached - walked.c.in_block).label("before"))
        .where(walked.c.reached > position)
        .order_by(walked.c.block.desc())
        .limit(literal_column("1", BigInteger))  # written out: a bound LIMIT hides from the planner that it is 1
        .cte(name)
    )
    return FoundBlock(block=select(found.c.block).scalar_subquery(), before=select(found.c.before).scalar_subquery())


def facet_total(facet_count: int) -> ColumnElement[Any]:
    """How many tasks the facets ``facet_0`` ... ``facet_<n-1>`` hold in all (grants not included)."""
    facets = tables.task_facets
    names: list[BindParameter[Any]] = [bindparam(f"facet_{number}") for number in range(facet_count)]
    total = select(func.sum(facets.c.task_count)).where(
        facets.c.account_id == bindparam("account_id"), facets.c.facet.in_(names)
    )
    return func.coalesce(total.scalar_subquery(), 0)


def block_start(block: ColumnElement[Any]) -> ColumnElement[Any]:
    """The first task id of a block."""
    return block * _size(BLOCK_SIZE)


def _size(size: int) -> ColumnElement[Any]:
    return literal_column(str(size), BigInteger)


def _counts_per_block(counts: _Counts) -> Select[Any]:
    """Rows (block, in_block). One facet's rows are read in the order of its key, so the walk stops at the
    block it looks for; several facets (and grants) are added up block by block first."""
    blocks = tables.task_blocks
    condition = and_(blocks.c.account_id == bindparam("account_id"), blocks.c.block_size == _size(counts.size))
    if counts.within is not None:
        first = counts.within * _size(SMALL_PER_LARGE)
        condition &= blocks.c.block.between(first, first + _size(SMALL_PER_LARGE - 1))
    if counts.facet_count == 1 and not counts.member:
        facet = blocks.c.facet == bindparam("facet_0")
        return select(blocks.c.block, blocks.c.task_count.label("in_block")).where(condition, facet)
    names: list[BindParameter[Any]] = [bindparam(f"facet_{number}") for number in range(counts.facet_count)]
    in_facets = select(blocks.c.block, blocks.c.task_count).where(condition, blocks.c.facet.in_(names))
    counted = (union_all(in_facets, _granted_by_others(counts)) if counts.member else in_facets).subquery("by_facet")
    in_block = cast(func.sum(counted.c.task_count), BigInteger).label("in_block")
    return select(counted.c.block, in_block).group_by(counted.c.block)


def _granted_by_others(counts: _Counts) -> Select[Any]:
    task, grants = tables.tasks, tables.task_grants
    block = task.c.id // _size(counts.size)
    condition = and_(
        grants.c.user_id == bindparam("member_id"),
        task.c.owner_id != bindparam("member_id"),
        task.c.account_id == bindparam("account_id"),
        task.c.kind == bindparam("batch"),
    )
    if counts.within is not None:
        first = counts.within * _size(LARGE_BLOCK)
        condition &= task.c.id.between(first, first + _size(LARGE_BLOCK - 1))
    return (
        select(block.label("block"), literal_column("1", BigInteger).label("task_count"))
        .select_from(grants.join(task, task.c.id == grants.c.task_id))
        .where(condition)
    )
