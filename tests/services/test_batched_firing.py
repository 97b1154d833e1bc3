"""Due tasks are fired in batches: several schedulers at once start each run exactly once, a batch takes a few
statements whatever its size, and a batch that fails loses no task."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from mailyard import bootstrap
from mailyard.domain import paging, tasks
from mailyard.domain.tasks import Schedule, TaskType
from mailyard.services.scheduling import SchedulingService
from mailyard.store import tables

pytestmark = pytest.mark.timeout(180)
TASKS = 45


async def scheduled_tasks(runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any) -> list[tasks.Task]:
    """TASKS tasks due in an hour, over three lists of 0 (one invalid address), 1 and 3 recipients; every third
    one recurring."""
    principal = team.admin.principal
    lists = [
        await make_content(principal, addresses=addresses, list_name=f"list {index}")
        for index, addresses in enumerate(
            [("not an address",), ("ann@example.org",), ("a@example.org", "b@example.org", "c@x.org")]
        )
    ]
    begin_at = clock.now() + timedelta(hours=1)
    made = []
    for number in range(TASKS):
        content = lists[number % 3]
        recurring = number % 3 == 2
        schedule = Schedule(
            type=TaskType.RECURRING if recurring else TaskType.SCHEDULED,
            begin_at=begin_at,
            interval_hours=24 if recurring else None,
        )
        made.append(await runtime.services.tasks.create(principal, content.task_request(schedule=schedule)))
    clock.advance(hours=1, seconds=1)
    return made


async def runs_of(runtime: bootstrap.Runtime) -> Counter[int]:
    async with runtime.engine.connect() as connection:
        return Counter((await connection.execute(select(tables.runs.c.task_id))).scalars())


async def test_schedulers_firing_at_once_start_each_run_exactly_once(
    runtime: bootstrap.Runtime, settings: Any, clock: Any, team: Any, make_content: Any
) -> None:
    made = await scheduled_tasks(runtime, clock, team, make_content)
    others = [await bootstrap.open_runtime(settings, clock=clock, upgrade_schema=False) for _ in range(2)]
    try:
        # Small batches, so the schedulers pass over each other's held tasks many times over.
        schedulers = [SchedulingService(each.store, clock, batch=4) for each in [runtime, *others]]
        started = await asyncio.gather(*(scheduler.fire_due() for scheduler in schedulers))
        assert await schedulers[0].fire_due() == []
    finally:
        for each in others:
            await each.close()

    reported = Counter(run.task_id for batch in started for run in batch)
    assert reported == Counter({task.id: 1 for task in made})
    assert await runs_of(runtime) == reported
    principal = team.admin.principal
    for number, task in enumerate(made):
        fired = await runtime.services.tasks.get(principal, task.id)
        requested = (0, 1, 3)[number % 3]
        assert fired.counters.requested == requested
        ledger = await runtime.services.tasks.deliveries(principal, task.id, paging.Window(offset=0, limit=10))
        assert ledger.total == max(requested, 1)  # the invalid address is in the ledger, skipped
        if number % 3 == 2:  # recurring: sending, and due again a day after the time it fired
            assert fired.state is tasks.TaskState.SENDING
            assert fired.next_fire_at == task.next_fire_at + timedelta(hours=24)
        else:  # nobody to send to: done at once; otherwise sending; never again
            assert fired.state is (tasks.TaskState.DONE if requested == 0 else tasks.TaskState.SENDING)
            assert fired.next_fire_at is None


async def test_a_batch_takes_a_few_statements_whatever_its_size(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any
) -> None:
    await scheduled_tasks(runtime, clock, team, make_content)
    statements: list[str] = []

    def count(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        started = await runtime.services.scheduling.fire_due()
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    assert len(started) == TASKS
    # One tick's statements do not grow with the tasks it fires (it was about ten a task).
    assert len(statements) <= 15, statements


async def test_a_failing_batch_fires_the_others_and_loses_none(
    runtime: bootstrap.Runtime, clock: Any, team: Any, make_content: Any, database_kind: str
) -> None:
    made = await scheduled_tasks(runtime, clock, team, make_content)
    poisoned = made[7].id
    async with runtime.engine.begin() as connection:
        for statement in FAULT[database_kind]:
            await connection.execute(text(statement.format(task=poisoned)))

    with pytest.raises(Exception, match="no runs for this task"):
        await runtime.services.scheduling.fire_due()
    fired = await runs_of(runtime)
    assert fired == Counter({task.id: 1 for task in made if task.id != poisoned})
    held = await runtime.services.tasks.get(team.admin.principal, poisoned)
    assert (held.state, held.next_fire_at) == (tasks.TaskState.PENDING, made[7].next_fire_at)  # still due

    async with runtime.engine.begin() as connection:
        await connection.execute(text(REPAIR[database_kind]))
    started = await runtime.services.scheduling.fire_due()
    assert [run.task_id for run in started] == [poisoned]
    assert await runs_of(runtime) == Counter({task.id: 1 for task in made})
    async with runtime.engine.connect() as connection:
        ledger = await connection.execute(select(func.count()).select_from(tables.deliveries))
    assert ledger.scalar_one() == sum((1, 1, 3)[number % 3] for number in range(TASKS))


# A real database error while one task's run is written: a trigger refuses it.
FAULT = {
    "sqlite": [
        "CREATE TRIGGER refuse_run BEFORE INSERT ON runs WHEN NEW.task_id = {task} "
        "BEGIN SELECT RAISE(ABORT, 'no runs for this task'); END"
    ],
    "postgres": [
        "CREATE FUNCTION refuse_run() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.task_id = {task} THEN RAISE EXCEPTION 'no runs for this task'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER refuse_run BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION refuse_run()",
    ],
}
REPAIR = {"sqlite": "DROP TRIGGER refuse_run", "postgres": "DROP TRIGGER refuse_run ON runs"}
