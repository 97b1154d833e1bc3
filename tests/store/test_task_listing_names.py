"""A listing with list names reads each page in one statement from the newer half and in a second one from the
older end; both must give the same tasks as the plain listing, each with its recipient list's name, for admins
and members, with and without filters, on both databases."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import paging, tasks
from mailyard.domain.visibility import TaskScope

pytestmark = pytest.mark.timeout(120)


async def test_pages_carry_list_names_and_match_the_plain_listing(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    alice, bob = team.admin.principal, team.members[0].principal
    readers, others = await make_content(alice), await make_content(alice, list_name="others")
    service = runtime.services.tasks
    made: list[tasks.Task] = []
    for number, owner in enumerate([alice, bob, alice, bob, bob, alice, bob]):
        content = readers if number % 3 else others
        made.append(await service.create(owner, content.task_request(name=f"t{number}")))
    await service.grant(alice, made[0].id, "bob")
    names = {readers.list_id: "readers", others.list_id: "others"}

    for principal, task_filter in itertools.product(
        [alice, bob], [tasks.TaskFilter(), tasks.TaskFilter(recipient_list_id=readers.list_id)]
    ):
        scope = TaskScope.of(principal)
        async with runtime.store.transaction() as repositories:
            everything = await repositories.tasks.list(scope, task_filter, paging.Window(offset=0, limit=100))
            newest_first = [task.id for task in everything.items]
            for offset, limit in itertools.product(range(len(newest_first) + 2), (1, 3)):
                window = paging.Window(offset=offset, limit=limit)
                page = await repositories.tasks.list_with_list_names(scope, task_filter, window)
                assert page.total == everything.total
                assert [task.id for task, _ in page.items] == newest_first[offset : offset + limit], (offset, limit)
                assert all(name == names[task.recipient_list_id or 0] for task, name in page.items)
