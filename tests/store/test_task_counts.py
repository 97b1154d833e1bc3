"""Listing totals come from `task_counts` (kept by triggers); they must equal a count of the rows themselves,
for every filter, for admins and members (own + granted tasks), through creation, state changes, pauses, runs
and deletions, on both databases. Deep pages read from the oldest end must be the same rows."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text
from tests.store.listed_rows import listed_by_rows

from mailyard.domain import accounts, paging, tasks
from mailyard.domain.visibility import TaskScope
from mailyard.store import engine as engines
from mailyard.store import migrate

pytestmark = pytest.mark.timeout(120)

EVERYTHING = paging.Window(offset=0, limit=paging.MAX_PAGE_SIZE)
STATES = [None, (tasks.TaskState.PENDING,), (tasks.TaskState.DONE, tasks.TaskState.CANCELLED)]
TYPES = [None, *tasks.TaskType]


async def assert_totals_exact(runtime, principals: list[accounts.Principal], list_ids: list[int]) -> None:
    for principal, states, task_type, list_id, paused in itertools.product(
        principals, STATES, TYPES, [None, *list_ids], [None, True]
    ):
        scope = TaskScope.of(principal)
        task_filter = tasks.TaskFilter(states=states, type=task_type, recipient_list_id=list_id, paused=paused)
        expected = await listed_by_rows(runtime, scope, task_filter)
        page = await runtime.store.task_listing.page(scope, task_filter, EVERYTHING)
        assert (page.total, [found.id for found in page.items]) == (len(expected), expected), task_filter


async def test_totals_follow_every_change_and_deep_pages_match(runtime, team, make_content, clock):
    alice, bob, carol = team.admin.principal, team.members[0].principal, team.members[1].principal
    first, second = await make_content(alice), await make_content(alice, list_name="others")
    service = runtime.services.tasks
    later = clock.now() + timedelta(hours=2)
    made = []
    for number, owner in enumerate([alice, bob, carol, bob, alice, carol, bob]):
        content = first if number % 2 else second
        schedule = (
            tasks.Schedule(type=tasks.TaskType.IMMEDIATE)
            if number % 3 == 0
            else tasks.Schedule(type=tasks.TaskType.SCHEDULED, begin_at=later)
        )
        made.append(await service.create(owner, content.task_request(name=f"t{number}", schedule=schedule)))
    await service.grant(alice, made[0].id, "bob")
    await service.grant(carol, made[2].id, "bob")
    await service.pause(bob, made[1].id)
    await service.cancel(carol, made[5].id)
    principals, list_ids = [alice, bob, carol], [first.list_id, second.list_id]
    await assert_totals_exact(runtime, principals, list_ids)

    async with runtime.store.engine.begin() as connection:  # a change made behind the services' back
        await connection.execute(text("UPDATE tasks SET state = 'done' WHERE id = :id"), {"id": made[3].id})
        await connection.execute(text("DELETE FROM tasks WHERE id = :id"), {"id": made[6].id})
    await assert_totals_exact(runtime, principals, list_ids)

    scope = TaskScope.of(alice)
    listing = runtime.store.task_listing
    newest_first = [found.id for found in (await listing.page(scope, tasks.TaskFilter(), EVERYTHING)).items]
    for offset, limit in itertools.product(range(len(newest_first) + 2), (1, 2, 4)):
        page = await listing.page(scope, tasks.TaskFilter(), paging.Window(offset=offset, limit=limit))
        assert [found.id for found in page.items] == newest_first[offset : offset + limit], (offset, limit)


async def test_counts_stay_exact_across_the_per_statement_triggers_migration(
    runtime, settings, team, make_content, clock
):
    """Migration 0017 (PostgreSQL) swaps the update triggers for one per statement; on its way down and up
    again, and with either kind in place, an UPDATE of many tasks keeps every count exact."""
    alice, bob = team.admin.principal, team.members[0].principal
    content = await make_content(alice)
    later = clock.now() + timedelta(hours=2)
    for number, owner in enumerate([alice, bob, alice, bob, alice]):
        schedule = tasks.Schedule(type=tasks.TaskType.SCHEDULED, begin_at=later)
        await runtime.services.tasks.create(owner, content.task_request(name=f"t{number}", schedule=schedule))
    engine = engines.create_engine(settings.database_url)
    try:
        for revision, state in (("0016", "done"), ("head", "sending")):
            async with engine.begin() as connection:
                await connection.run_sync(lambda sync, to=revision: _migrate(sync, to))
                await connection.execute(text("UPDATE tasks SET state = :state WHERE id % 2 = 0"), {"state": state})
            await assert_totals_exact(runtime, [alice, bob], [content.list_id])
    finally:
        await engine.dispose()


def _migrate(sync_connection, revision: str) -> None:
    config = migrate.alembic_config(sync_connection)
    if revision == "head":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
