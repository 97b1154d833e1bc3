"""Every way a listing statement takes to a page (newest first, from the oldest end, from the block that holds
it) gives exactly the page of the plain rows, ordered newest first, with the total that matched: for admins
and members, filters the block counts serve and filters they do not, offsets on and around every switch, on
both databases, before and after tasks change behind the services' back. ``task_facets`` and ``task_blocks``
always equal a recount of the rows.

The tasks are written in bulk (13,000 of them, with another account's and single sends in between, their ids
running across the end of a large block and, after a gap of two large blocks, on), so that deep pages exist;
the listing reads them like any other.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from tests.store.listed_rows import listed_by_rows

from mailyard import bootstrap
from mailyard.domain import paging
from mailyard.domain.tasks import TaskFilter, TaskState, TaskType
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables
from mailyard.store.task_blocks import BLOCK_SIZE, LARGE_BLOCK

pytestmark = pytest.mark.timeout(300)

TASKS = 13_000
STATES = list(TaskState)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
FACET_VALUES = ["'all'", "'state:' || state", "'type:' || task_type", "'list:' || COALESCE(recipient_list_id, 0)"]
FACET_VALUES += ["'owner:' || owner_id"]
FACETS = " UNION ALL ".join(
    f"SELECT account_id, {value} AS facet, {size} AS block_size, id / {size} AS block FROM tasks WHERE kind = 'batch'"
    for value, size in itertools.product(FACET_VALUES, (LARGE_BLOCK, BLOCK_SIZE))
)
FIRST_ID = LARGE_BLOCK - 6_000
GAP = 2 * LARGE_BLOCK  # after the 7,000th row


def _task_row(number: int, account_id: int, owner_id: int, template_id: int, list_id: int) -> dict[str, Any]:
    task_type = (1, 1, 2, 3)[number % 4]
    return {
        "account_id": account_id,
        "owner_id": owner_id,
        "name": f"t{number}",
        "from_address": "news@news.example.com",
        "subject": f"Subject {number}",
        "template_id": template_id,
        "variables": "{}",
        "recipient_list_id": list_id,
        "task_type": task_type,
        "kind": "single" if number % 50 == 0 else "batch",
        "begin_at": None if task_type == 1 else CREATED,
        "interval_hours": 6 if task_type == 3 else None,
        "terminated": False,
        "paused": number % 11 == 0,
        "state": STATES[(number * 7) % len(STATES)].value if number % 3 else TaskState.DONE.value,
        "requested_count": 0,
        "sent_count": 0,
        "cached_count": 0,
        "failed_count": 0,
        "skipped_count": 0,
        "created_at": CREATED + timedelta(seconds=number),
        "updated_at": CREATED + timedelta(seconds=number),
    }


async def _write_tasks(runtime: bootstrap.Runtime, team: Any, rival: Any, ours: list[Any], theirs: Any) -> None:
    """13,000 tasks of the team's account, spread over its three users and two lists, a rival's every ninth."""
    owners = [team.admin.principal.user_id, *(member.principal.user_id for member in team.members)]
    rows = []
    for number in range(TASKS):
        if number % 9 == 4:
            rows.append(_task_row(number, rival.account_id, rival.admin.principal.user_id, *theirs))
        content = ours[number % 2]
        rows.append(_task_row(number, team.account_id, owners[number % 3], content.template_id, content.list_id))
    for number, row in enumerate(rows):
        row["id"] = FIRST_ID + number + (GAP if number >= 7_000 else 0)
    async with runtime.store.engine.begin() as connection:
        await connection.execute(insert(tables.tasks), rows)


async def _grant_some(runtime: bootstrap.Runtime, member_id: int, account_id: int) -> None:
    async with runtime.store.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO task_grants (task_id, user_id) SELECT id, :member FROM tasks "
                "WHERE account_id = :account AND owner_id <> :member AND id % 97 = 0"
            ),
            {"member": member_id, "account": account_id},
        )


def _offsets(total: int) -> list[int]:
    middle = total // 2
    near_switches = [0, 7, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 3, 2 * BLOCK_SIZE + 17, 5_000, 5_999, 6_000]
    return sorted(
        {*near_switches, middle - 1, middle, middle + 1, total - 100, total - 20, total - 1, total, total + 9}
    )


async def _assert_pages_exact(runtime: bootstrap.Runtime, scope: TaskScope, task_filter: TaskFilter) -> None:
    expected = await listed_by_rows(runtime, scope, task_filter)
    listing = runtime.store.task_listing
    for offset, limit in itertools.product(_offsets(len(expected)), (1, 20, 100)):
        if offset < 0:
            continue
        page = await listing.page(scope, task_filter, paging.Window(offset=offset, limit=limit))
        found = [task.id for task in page.items]
        assert (page.total, found) == (len(expected), expected[offset : offset + limit]), (task_filter, offset, limit)


async def _assert_facet_counts_exact(runtime: bootstrap.Runtime) -> None:
    recount = f"SELECT account_id, facet, block_size, block, COUNT(*) FROM ({FACETS}) AS f"
    kept_blocks = "SELECT account_id, facet, block_size, block, task_count FROM task_blocks WHERE task_count <> 0"
    kept_totals = "SELECT account_id, facet, task_count FROM task_facets WHERE task_count <> 0"
    async with runtime.store.engine.connect() as connection:
        grouped = await connection.execute(text(f"{recount} GROUP BY account_id, facet, block_size, block"))
        counted = {tuple(row[:4]): row[4] for row in grouped}
        kept = {tuple(row[:4]): row[4] for row in await connection.execute(text(kept_blocks))}
        totals = {tuple(row[:2]): row[2] for row in await connection.execute(text(kept_totals))}
    assert kept == counted
    in_all: dict[tuple[int, str], int] = {}
    for (account_id, facet, size, _), count in counted.items():
        if size == BLOCK_SIZE:
            in_all[account_id, facet] = in_all.get((account_id, facet), 0) + count
    assert totals == in_all


ADMIN_FILTERS = [
    TaskFilter(),
    TaskFilter(states=(TaskState.SENDING,)),
    TaskFilter(states=(TaskState.DONE, TaskState.CANCELLED)),
    TaskFilter(states=(TaskState.PENDING, TaskState.ERROR, TaskState.SUSPENDED)),
    TaskFilter(type=TaskType.RECURRING),
    TaskFilter(states=(TaskState.DONE,), type=TaskType.IMMEDIATE),  # two facets: no block counts
    TaskFilter(paused=True),
    TaskFilter(owner_nickname="bob"),
]
MEMBER_FILTERS = [
    TaskFilter(),
    TaskFilter(states=(TaskState.DONE, TaskState.CANCELLED)),
    TaskFilter(type=TaskType.SCHEDULED),
]


async def test_every_way_to_a_page_gives_the_rows_page(
    runtime: bootstrap.Runtime, team: Any, rival: Any, make_content: Any
) -> None:
    admin, bob = team.admin.principal, team.members[0].principal
    ours = [await make_content(admin), await make_content(admin, list_name="others")]
    theirs = await make_content(rival.admin.principal, domain="globex.example.com")
    await _write_tasks(runtime, team, rival, ours, (theirs.template_id, theirs.list_id))
    await _grant_some(runtime, bob.user_id, team.account_id)
    await _assert_facet_counts_exact(runtime)
    filters = [(TaskScope.of(admin), task_filter) for task_filter in ADMIN_FILTERS]
    filters += [(TaskScope.of(admin), TaskFilter(recipient_list_id=ours[1].list_id))]
    filters += [(TaskScope.of(bob), task_filter) for task_filter in MEMBER_FILTERS]
    for scope, task_filter in filters:
        await _assert_pages_exact(runtime, scope, task_filter)

    async with runtime.store.engine.begin() as connection:  # changes made behind the services' back
        changes = [
            "UPDATE tasks SET state = 'sending' WHERE id % 13 = 1",
            "UPDATE tasks SET task_type = 2, begin_at = created_at WHERE id % 17 = 2",
            "UPDATE tasks SET recipient_list_id = :other WHERE id % 19 = 3 AND account_id = :account",
            "UPDATE tasks SET owner_id = :bob WHERE id % 23 = 4 AND account_id = :account",
            "UPDATE tasks SET kind = 'single' WHERE id % 29 = 5",
            "UPDATE tasks SET kind = 'batch' WHERE id % 50 = 0",
            # one statement moving tasks along several columns at once, some only in part
            "UPDATE tasks SET paused = NOT paused, state = CASE WHEN id % 3 = 0 THEN 'done' ELSE state END, "
            "task_type = CASE WHEN id % 2 = 0 THEN 2 ELSE task_type END, begin_at = created_at WHERE id % 37 < 3",
            "UPDATE tasks SET state = state, owner_id = owner_id WHERE id % 41 = 7",  # counted, yet nothing moves
            "UPDATE tasks SET sent_count = sent_count + 1",  # nothing counted changes
            "DELETE FROM tasks WHERE id % 31 = 6 AND id NOT IN (SELECT task_id FROM task_grants)",
        ]
        values = {"other": ours[0].list_id, "account": team.account_id, "bob": bob.user_id}
        for statement in changes:
            await connection.execute(text(statement), values)
    await _assert_facet_counts_exact(runtime)
    for scope, task_filter in random.Random(7).sample(filters, 6):
        await _assert_pages_exact(runtime, scope, task_filter)


async def test_a_filter_that_allows_no_state_lists_nothing(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    admin = team.admin.principal
    content = await make_content(admin)
    await runtime.services.tasks.create(admin, content.task_request(name="only"))
    nothing = TaskFilter(state=TaskState.DONE, states=(TaskState.PENDING,))
    page = await runtime.store.task_listing.page(TaskScope.of(admin), nothing, paging.Window(offset=0, limit=10))
    assert (page.total, page.items) == (0, [])


@pytest.mark.parametrize("database_kind", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_a_long_transaction_does_not_hold_the_block_counts(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    """Tasks are counted into task_blocks at commit: one transaction still expanding a big run does not make
    another user's task creation in the same account wait for it."""
    admin, bob = team.admin.principal, team.members[0].principal
    first, second = await make_content(admin), await make_content(admin, list_name="others")
    async with runtime.store.engine.connect() as slow, runtime.store.engine.connect() as quick:
        await slow.begin()
        await slow.execute(
            insert(tables.tasks), [_task_row(1, team.account_id, admin.user_id, first.template_id, first.list_id)]
        )
        await quick.begin()
        row = _task_row(2, team.account_id, bob.user_id, second.template_id, second.list_id) | {"task_type": 2}
        await asyncio.wait_for(quick.execute(insert(tables.tasks), [row]), timeout=5)
        await asyncio.wait_for(quick.commit(), timeout=5)
        await slow.commit()
    await _assert_facet_counts_exact(runtime)
