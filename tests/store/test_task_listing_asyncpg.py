"""On PostgreSQL a listing runs on the asyncpg connection itself; it must give exactly what SQLAlchemy's execution
gives (the same tasks, field for field, with their list names and the same totals) for admins and members, every
filter, and every offset, whether the page is read from the newer or from the older end."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import paging
from mailyard.domain.tasks import Schedule, Task, TaskFilter, TaskState, TaskType
from mailyard.domain.visibility import TaskScope
from mailyard.store import asyncpg_statements

pytestmark = [pytest.mark.timeout(120), pytest.mark.postgres]

BEGIN_AT = datetime(2090, 1, 1, 9, 30, tzinfo=UTC)
SCHEDULES = [
    Schedule(type=TaskType.IMMEDIATE),
    Schedule(type=TaskType.SCHEDULED, begin_at=BEGIN_AT),
    Schedule(type=TaskType.RECURRING, begin_at=BEGIN_AT, interval_hours=6),
]


@pytest.mark.parametrize("database_kind", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_the_asyncpg_path_gives_what_sqlalchemy_gives(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = team.admin.principal, team.members[0].principal
    readers, others = await make_content(alice), await make_content(alice, list_name="others")
    service = runtime.services.tasks
    made: list[Task] = []
    for number, owner in enumerate([alice, bob, alice, bob, bob, alice, bob, alice]):
        request = (readers if number % 3 else others).task_request(
            name=f"t{number}", schedule=SCHEDULES[number % 3], variables={"n": number, "name": "Zoë"}
        )
        made.append(await service.create(owner, request))
    await service.grant(alice, made[0].id, "bob")
    await service.pause(alice, made[2].id)
    await service.pause(bob, made[4].id)
    filters = [
        TaskFilter(),
        TaskFilter(states=(TaskState.PENDING, TaskState.SENDING)),
        TaskFilter(state=TaskState.SENDING),
        TaskFilter(type=TaskType.SCHEDULED),
        TaskFilter(recipient_list_id=readers.list_id),
        TaskFilter(owner_nickname="bob"),
        TaskFilter(paused=True),
        TaskFilter(states=(TaskState.PENDING,), type=TaskType.RECURRING, paused=False),
    ]
    windows = [paging.Window(offset=offset, limit=limit) for offset in range(len(made) + 2) for limit in (1, 3)]
    totals = set()

    for principal, task_filter in itertools.product([alice, bob], filters):
        scope = TaskScope.of(principal)
        compiled_before = asyncpg_statements.compiled.cache_info()
        through_asyncpg = await _pages(runtime, scope, task_filter, windows)
        assert asyncpg_statements.compiled.cache_info() != compiled_before
        with monkeypatch.context() as patch:
            patch.setattr(asyncpg_statements, "supported", lambda _connection: False)
            through_sqlalchemy = await _pages(runtime, scope, task_filter, windows)
        assert through_asyncpg == through_sqlalchemy, (principal.nickname, task_filter)
        totals.add(through_asyncpg[0].total)
    assert len(totals) > 3  # the filters do select different tasks


async def _pages(
    runtime: bootstrap.Runtime, scope: TaskScope, task_filter: TaskFilter, windows: list[paging.Window]
) -> list[paging.Page[tuple[Task, str]]]:
    async with runtime.store.transaction() as repositories:
        return [await repositories.tasks.list_with_list_names(scope, task_filter, window) for window in windows]
