"""The tasks a listing must show, read straight from the rows: no counts table, no paging tricks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from mailyard.domain.tasks import TaskFilter
from mailyard.domain.visibility import TaskScope


async def listed_by_rows(runtime: Any, scope: TaskScope, task_filter: TaskFilter) -> list[int]:
    """The ids the visibility rule and the filter select, newest first."""
    async with runtime.store.engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT tasks.id, owner_id, state, task_type, recipient_list_id, paused, nickname FROM tasks"
                    " JOIN users ON users.id = tasks.owner_id"
                    " WHERE tasks.account_id = :account AND kind = 'batch' ORDER BY tasks.id DESC"
                ),
                {"account": scope.account_id},
            )
        ).all()
        granted_rows = await connection.execute(
            text("SELECT task_id FROM task_grants WHERE user_id = :member"), {"member": scope.member_id or 0}
        )
        granted = {row[0] for row in granted_rows}
    states = None if task_filter.states is None else {state.value for state in task_filter.states}
    return [
        row.id
        for row in rows
        if (scope.member_id is None or row.owner_id == scope.member_id or row.id in granted)
        and (states is None or row.state in states)
        and (task_filter.type is None or row.task_type == task_filter.type)
        and (task_filter.recipient_list_id is None or row.recipient_list_id == task_filter.recipient_list_id)
        and (task_filter.owner_nickname is None or row.nickname == task_filter.owner_nickname)
        and (task_filter.paused is None or bool(row.paused) is task_filter.paused)
    ]
