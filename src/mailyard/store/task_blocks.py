"""Deep pages without skipping every task before them: the block that holds a page, from ``task_blocks``.

Task ids fall in blocks of ``BLOCK_SIZE``; ``task_blocks`` (kept by triggers, migration 0006) counts each
account's batch tasks per block under a few facets: all of them, and those of one state, task type, recipient
list or owner. When a listing selects exactly the tasks of some facets (an admin's listing filtered on at most
one of state, type and list; a member's unfiltered listing, which adds the tasks granted to it), adding up the
facets' counts block by block from one end finds the block where the page starts and how many listed tasks lie
before that block. The page is then read from there: at most one block of ids is skipped, however deep.
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

BLOCK_SIZE = 4096  # the same number as migration 0006's triggers
_BLOCK_SIZE = literal_column(str(BLOCK_SIZE), BigInteger)


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
    """Where a page starts: its block, and how many listed tasks lie before that block (from the same end)."""

    block: ColumnElement[Any]
    before: ColumnElement[Any]


def found_block(facet_count: int, member: bool, position: ColumnElement[Any], *, newest_first: bool) -> FoundBlock:
    """The block holding the task at `position` (0 at the newest, or at the oldest, end) of the listing.

    The facets are bound as ``facet_0`` ... ``facet_<n-1>``; for a member, the tasks granted to it by others
    are counted from the grants themselves (they are few).
    """
    counted = _counts_per_block(facet_count, member).subquery("counted")
    order = counted.c.block.desc() if newest_first else counted.c.block.asc()
    walked = select(
        counted.c.block,
        counted.c.in_block,
        cast(func.sum(counted.c.in_block).over(order_by=order), BigInteger).label("reached"),
    ).subquery("walked")
    found: CTE = (
        select(walked.c.block, (walked.c.reached - walked.c.in_block).label("before"))
        .where(walked.c.reached > position)
        .order_by(walked.c.block.desc() if newest_first else walked.c.block.asc())
        .limit(1)
        .cte("newest_block" if newest_first else "oldest_block")
    )
    return FoundBlock(block=select(found.c.block).scalar_subquery(), before=select(found.c.before).scalar_subquery())


def block_start(block: ColumnElement[Any]) -> ColumnElement[Any]:
    """The first task id of a block."""
    return block * _BLOCK_SIZE


def _counts_per_block(facet_count: int, member: bool) -> Select[Any]:
    blocks = tables.task_blocks
    facet_names: list[BindParameter[Any]] = [bindparam(f"facet_{number}") for number in range(facet_count)]
    counts: Select[Any] = select(blocks.c.block, blocks.c.task_count).where(
        blocks.c.account_id == bindparam("account_id"), blocks.c.facet.in_(facet_names)
    )
    counted = (union_all(counts, _granted_by_others()) if member else counts).subquery("facet_counts")
    in_block = cast(func.sum(counted.c.task_count), BigInteger).label("in_block")
    return select(counted.c.block, in_block).group_by(counted.c.block)


def _granted_by_others() -> Select[Any]:
    task, grants = tables.tasks, tables.task_grants
    return (
        select((task.c.id // _BLOCK_SIZE).label("block"), literal_column("1", BigInteger).label("task_count"))
        .select_from(grants.join(task, task.c.id == grants.c.task_id))
        .where(
            and_(
                grants.c.user_id == bindparam("member_id"),
                task.c.owner_id != bindparam("member_id"),
                task.c.account_id == bindparam("account_id"),
                task.c.kind == bindparam("batch"),
            )
        )
    )
