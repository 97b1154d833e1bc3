"""Documents of listed tasks: PostgreSQL renders a page byte for byte as Python renders the same rows (the
reference, and what SQLite serves), whatever the text holds and in any time zone; and the listing statements run
on the read pool are planned once, not at every request."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from mailyard import bootstrap
from mailyard.domain import documents, paging
from mailyard.domain.tasks import Schedule, TaskFilter, TaskState, TaskType
from mailyard.domain.visibility import TaskScope
from mailyard.store.read_pool import open_read_pool
from mailyard.store.task_reads import SqlTaskListing
from mailyard.web.tencent.actions_tasks import SEND_TASK_DATA

pytestmark = [pytest.mark.timeout(120), pytest.mark.postgres]

F = documents.TaskField
BEGIN_AT = datetime(2090, 3, 30, 1, 30, 5, 123456, tzinfo=UTC)  # across a DST change in New York and Berlin
SUBJECTS = ["Plain", 'Quote " and \\ backslash', "Zoë 周报 😀", "Tab\tand\nnewline", "It's <b>bold</b> & co"]
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/Berlin", "UTC"]
# Every kind of node, so that a difference in any of them shows.
EVERY_NODE = documents.Document.of(
    id=documents.Value(F.ID),
    list=documents.Value(F.LIST_NAME, when_null=""),
    maybe_list=documents.Value(F.RECIPIENT_LIST_ID, when_null=0),
    state=documents.Choice.of(F.STATE, {TaskState.DONE: 1, TaskState.PENDING: 2}),
    ended=documents.Choice.of(F.TERMINATED, {True: 1, False: 0}),
    begins=documents.LocalTime(F.BEGIN_AT),
    created=documents.LocalTime(F.CREATED_AT),
    recurring=documents.When(
        F.TASK_TYPE, TaskType.RECURRING, documents.Document.of(every=documents.Value(F.INTERVAL_HOURS))
    ),
    nothing=documents.Document.of(),
    variables=documents.Value(F.VARIABLES),
    error=documents.Value(F.ERROR_MESSAGE),
)


async def _varied_tasks(runtime: bootstrap.Runtime, team: Any, make_content: Any, clock: Any) -> None:
    admin, bob = team.admin.principal, team.members[0].principal
    content = await make_content(admin, list_name="Lecteurs « fidèles »")
    schedules = [
        Schedule(type=TaskType.IMMEDIATE),
        Schedule(type=TaskType.SCHEDULED, begin_at=BEGIN_AT),
        Schedule(type=TaskType.RECURRING, begin_at=BEGIN_AT, interval_hours=7),
    ]
    for number, (subject, schedule) in enumerate(itertools.product(SUBJECTS, schedules)):
        clock.advance(hours=5, seconds=1)
        variables = {"name": subject, "n": number, "rate": 2.5, "none": None, "yes": True}
        request = content.task_request(name=f"t{number}", subject=subject, schedule=schedule, variables=variables)
        await runtime.services.tasks.create(admin if number % 2 else bob, request)
    async with runtime.store.engine.begin() as connection:
        await connection.execute(
            text("UPDATE tasks SET error_message = 'Relay said: \"550 \\ no\"\x01' WHERE id % 3 = 0")
        )
        await connection.execute(text("UPDATE tasks SET terminated = true, state = 'done' WHERE id % 4 = 0"))


@pytest.mark.parametrize("database_kind", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_postgres_renders_exactly_what_python_renders(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, clock: Any
) -> None:
    await _varied_tasks(runtime, team, make_content, clock)
    in_python = SqlTaskListing(runtime.engine, read_pool=None)  # rows read through SQLAlchemy, rendered here
    in_postgres = runtime.store.task_listing
    scopes = [TaskScope.of(team.admin.principal), TaskScope.of(team.members[0].principal)]
    windows = [paging.Window(offset=0, limit=100), paging.Window(offset=3, limit=4), paging.Window(offset=99, limit=5)]
    for scope, window, zone, document in itertools.product(scopes, windows, ZONES, [SEND_TASK_DATA, EVERY_NODE]):
        expected = await in_python.documents(scope, TaskFilter(), window, document, zone)
        rendered = await in_postgres.documents(scope, TaskFilter(), window, document, zone)
        assert rendered == expected, (scope, window, zone)
        assert json.loads(rendered.documents) == json.loads(expected.documents)
    page = await in_postgres.documents(scopes[0], TaskFilter(), windows[0], EVERY_NODE, "America/New_York")
    listed = json.loads(page.documents)
    assert len(listed) == page.total == 3 * len(SUBJECTS)
    assert {item["begins"] for item in listed} == {None, "2090-03-29 21:30:05"}  # EDT already, fraction cut
    assert listed[0]["list"] == "Lecteurs « fidèles »" and listed[0]["nothing"] == {}


@contextlib.asynccontextmanager
async def _one_connection(runtime: bootstrap.Runtime) -> AsyncIterator[tuple[Any, SqlTaskListing]]:
    """A read pool of one connection, and a listing over it."""
    pool = await open_read_pool(runtime.engine, size=1)
    assert pool is not None
    try:
        yield pool, SqlTaskListing(runtime.engine, pool)
    finally:
        await pool.close()


@pytest.mark.parametrize("database_kind", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_listing_statements_are_planned_once(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, clock: Any
) -> None:
    await _varied_tasks(runtime, team, make_content, clock)
    scope = TaskScope.of(team.members[0].principal)
    async with _one_connection(runtime) as (pool, listing):
        for offset in range(12):
            for task_filter in (TaskFilter(), TaskFilter(states=(TaskState.DONE, TaskState.PENDING))):
                window = paging.Window(offset=offset, limit=3)
                await listing.documents(scope, task_filter, window, SEND_TASK_DATA, "UTC")
                await listing.page(scope, task_filter, window)
        async with pool.acquire() as connection:
            plans = await connection.fetch(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE statement LIKE '%listed_total%' AND statement NOT LIKE '%pg_prepared_statements%'"
            )
    assert len(plans) == 4
    assert all(plan["custom_plans"] == 0 and plan["generic_plans"] == 12 for plan in plans)


def test_documents_name_the_fields_they_read() -> None:
    assert documents.fields_of(SEND_TASK_DATA) == set(F)
    assert documents.fields_of(EVERY_NODE) >= {F.TASK_TYPE, F.INTERVAL_HOURS, F.STATE}


def test_python_rendering_of_an_empty_page() -> None:
    assert documents.render_page(SEND_TASK_DATA, [], "UTC") == "[]"


def test_local_times_follow_the_zone() -> None:
    row = dict.fromkeys(F) | {F.CREATED_AT: datetime(2026, 7, 1, 12, tzinfo=UTC)}
    created = documents.Document.of(at=documents.LocalTime(F.CREATED_AT))
    assert documents.render_page(created, [row], "America/New_York") == '[{"at":"2026-07-01 08:00:00"}]'
    assert documents.render_page(created, [row | {F.CREATED_AT: None}], "UTC") == '[{"at":null}]'


@pytest.mark.parametrize("database_kind", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_a_read_connection_cut_by_the_server_is_replaced(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, clock: Any
) -> None:
    await _varied_tasks(runtime, team, make_content, clock)
    scope, window = TaskScope.of(team.admin.principal), paging.Window(offset=0, limit=5)
    async with _one_connection(runtime) as (pool, listing):
        first = await listing.documents(scope, TaskFilter(), window, SEND_TASK_DATA, "UTC")
        async with pool.acquire() as connection:
            pid = await connection.fetchval("SELECT pg_backend_pid()")
        async with runtime.engine.connect() as outsider:
            await outsider.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert await listing.documents(scope, TaskFilter(), window, SEND_TASK_DATA, "UTC") == first
