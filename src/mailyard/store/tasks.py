"""Tasks and the grants that share them; listing applies the visibility scope."""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, delete, func, insert, or_, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import tasks as model
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables
from mailyard.store.driver_inserts import DriverInsert
from mailyard.store.rows import fetch_one, rows_as_values

#: the advisory lock that batches of fired tasks take turns on (PostgreSQL)
FIRED_TASKS_LOCK = 0x6D61696C_66697265  # "mailfire"

_INSERT_TASKS = DriverInsert(tables.tasks, returning_id=True)  # new tasks of a group of single sends
# Counters of a task that has not sent anything yet.
ZERO_TASK_COUNTERS = {
    "requested_count": 0,
    "sent_count": 0,
    "cached_count": 0,
    "failed_count": 0,
    "skipped_count": 0,
}


def counted_new_ledger(queued: Any, skipped: Any) -> dict[str, Any]:
    """A task's counters once its run wrote ledger rows: queued ones are requested and not sent yet (cached),
    the others skipped."""
    task = tables.tasks
    return {
        "requested_count": task.c.requested_count + queued,
        "cached_count": task.c.cached_count + queued,
        "skipped_count": task.c.skipped_count + skipped,
    }


def _task_of_row(row: Row[Any]) -> model.Task:
    # One dict of the row: reading 30 columns from it costs a fraction of 30 lookups by attribute name.
    return task_of(row._asdict())


def task_of(values: Mapping[str, Any]) -> model.Task:
    """A task from the values of a `select_tasks` row, by column name."""
    return model.Task(
        id=values["id"],
        account_id=values["account_id"],
        owner_id=values["owner_id"],
        owner_nickname=values["owner_nickname"],
        name=values["name"],
        from_address=values["from_address"],
        reply_to=values["reply_to"],
        subject=values["subject"],
        template_id=values["template_id"],
        variables=json.loads(values["variables"]),
        recipient_list_id=values["recipient_list_id"],
        schedule=model.Schedule(
            type=model.TaskType(values["task_type"]),
            begin_at=values["begin_at"],
            interval_hours=values["interval_hours"],
            terminated=values["terminated"],
        ),
        paused=values["paused"],
        state=model.TaskState(values["state"]),
        error_message=values["error_message"],
        counters=model.Counters(
            requested=values["requested_count"],
            sent=values["sent_count"],
            cached=values["cached_count"],
            failed=values["failed_count"],
            skipped=values["skipped_count"],
        ),
        next_fire_at=values["next_fire_at"],
        unsubscribe=values["unsubscribe"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        kind=model.TaskKind(values["kind"]),
        cc=tuple(json.loads(values["cc"])) if values["cc"] else (),
        bcc=tuple(json.loads(values["bcc"])) if values["bcc"] else (),
    )


def select_tasks() -> Select[Any]:
    """Every column of `tasks`, with the owner's nickname."""
    task, users = tables.tasks, tables.users
    return select(task, users.c.nickname.label("owner_nickname")).join(users, users.c.id == task.c.owner_id)


def _variables_json(variables: Mapping[str, Any]) -> str:
    # Compact, as ListSendTasks shows a task's TemplateData: the listing sends the stored text as it is. Most
    # single sends (every message submitted over SMTP) have none: "{}" without the encoder.
    if not variables:
        return "{}"
    return json.dumps(variables, ensure_ascii=False, separators=(",", ":"))


def _addresses_json(addresses: Sequence[str] | None) -> str | None:
    """Cc or Bcc addresses as stored; most single sends have none."""
    if addresses is None:
        return None
    return json.dumps(list(addresses)) if addresses else "[]"


def scope_condition(scope: TaskScope) -> ColumnElement[bool]:
    """The visibility rule as SQL: the account's tasks; for a member only its own and granted ones."""
    task, grants = tables.tasks, tables.task_grants
    in_account = task.c.account_id == scope.account_id
    if scope.member_id is None:
        return in_account
    granted = select(grants.c.task_id).where(grants.c.user_id == scope.member_id)
    return in_account & or_(task.c.owner_id == scope.member_id, task.c.id.in_(granted))


def sent_from_domain(domain: str) -> ColumnElement[bool]:
    """Tasks whose From address (bare or with a display name) is on `domain` (lower case)."""
    sender: ColumnElement[str] = func.lower(tables.tasks.c.from_address)
    return sender.endswith(f"@{domain}", autoescape=True) | sender.endswith(f"@{domain}>", autoescape=True)


class SqlTasks:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(
        self,
        *,
        account_id: int,
        owner_id: int,
        draft: model.TaskDraft,
        name: str,
        next_fire_at: datetime | None,
    ) -> model.Task:
        task_id = await self.insert(
            account_id=account_id,
            owner_id=owner_id,
            name=name,
            kind=model.TaskKind.BATCH,
            from_address=draft.from_address,
            reply_to=draft.reply_to,
            subject=draft.subject,
            template_id=draft.template_id,
            variables=draft.variables,
            recipient_list_id=draft.recipient_list_id,
            schedule=draft.schedule,
            state=model.TaskState.PENDING,
            unsubscribe=draft.unsubscribe,
            next_fire_at=next_fire_at,
        )
        task = await self.get(account_id, task_id)
        assert task is not None
        return task

    async def insert(self, **fields: Any) -> int:
        """Write a new task of any kind (batch tasks and single sends alike), with zero counters; its id.
        `fields` are those of `new_row`."""
        statement = insert(tables.tasks).values(self.new_row(**fields)).returning(tables.tasks.c.id)
        return int((await self._connection.execute(statement)).scalar_one())

    async def insert_rows(self, rows: Sequence[dict[str, Any]]) -> builtins.list[int]:
        """Write several new tasks (rows made by `new_row`) in one statement; their ids, in order."""
        return await _INSERT_TASKS.run(self._connection, rows)

    def new_row(
        self,
        *,
        account_id: int,
        owner_id: int,
        name: str,
        kind: model.TaskKind,
        from_address: str,
        reply_to: str | None,
        subject: str,
        template_id: int | None,
        variables: Mapping[str, Any],
        recipient_list_id: int | None,
        schedule: model.Schedule,
        state: model.TaskState,
        unsubscribe: str | None,
        next_fire_at: datetime | None,
        cc: Sequence[str] | None = None,
        bcc: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The row of a new task of any kind, with zero counters."""
        return dict(
            account_id=account_id,
            owner_id=owner_id,
            name=name,
            kind=kind.value,
            from_address=from_address,
            reply_to=reply_to,
            subject=subject,
            template_id=template_id,
            variables=_variables_json(variables),
            recipient_list_id=recipient_list_id,
            cc=_addresses_json(cc),
            bcc=_addresses_json(bcc),
            task_type=int(schedule.type),
            begin_at=schedule.begin_at,
            interval_hours=schedule.interval_hours,
            terminated=schedule.terminated,
            paused=False,
            state=state.value,
            unsubscribe=unsubscribe,
            **ZERO_TASK_COUNTERS,
            next_fire_at=next_fire_at,
            created_at=self._now,
            updated_at=self._now,
        )

    async def get(self, account_id: int, task_id: int) -> model.Task | None:
        task = tables.tasks
        statement = select_tasks().where(task.c.account_id == account_id, task.c.id == task_id)
        return await fetch_one(self._connection, statement, _task_of_row)

    async def grants(self, task_id: int) -> frozenset[int]:
        grants = tables.task_grants
        rows = await self._connection.execute(select(grants.c.user_id).where(grants.c.task_id == task_id))
        return frozenset(rows.scalars())

    async def set_paused(self, task_id: int, paused: bool) -> None:
        await self._update(task_id, paused=paused)

    async def set_state(
        self,
        task_id: int,
        state: model.TaskState,
        *,
        error_message: str | None = None,
        terminated: bool = False,
    ) -> None:
        values: dict[str, Any] = {"state": state.value, "error_message": error_message}
        if terminated:
            values |= {"terminated": True, "next_fire_at": None}
        await self._update(task_id, **values)

    async def set_next_fire_at(self, task_id: int, next_fire_at: datetime | None) -> None:
        await self._update(task_id, next_fire_at=next_fire_at)

    async def grant(self, task_id: int, user_id: int) -> None:
        grants = tables.task_grants
        exists = await self._connection.execute(
            select(grants.c.task_id).where(grants.c.task_id == task_id, grants.c.user_id == user_id)
        )
        if exists.first() is None:
            await self._connection.execute(insert(grants).values(task_id=task_id, user_id=user_id))

    async def revoke(self, task_id: int, user_id: int) -> bool:
        grants = tables.task_grants
        statement = delete(grants).where(grants.c.task_id == task_id, grants.c.user_id == user_id)
        return (await self._connection.execute(statement)).rowcount > 0

    async def uses_list(self, list_id: int) -> bool:
        task = tables.tasks
        statement = select(task.c.id).where(task.c.recipient_list_id == list_id).limit(1)
        return (await self._connection.execute(statement)).first() is not None

    async def uses_template(self, template_id: int) -> bool:
        task = tables.tasks
        statement = select(task.c.id).where(task.c.template_id == template_id).limit(1)
        return (await self._connection.execute(statement)).first() is not None

    async def still_sending_from(self, account_id: int, fragment: str) -> builtins.list[tuple[int, str]]:
        task = tables.tasks
        statement = (
            select(task.c.id, task.c.from_address)
            .where(
                task.c.account_id == account_id,
                task.c.state.not_in([state.value for state in model.FINAL_STATES]),
                func.lower(task.c.from_address).contains(fragment.lower(), autoescape=True),
            )
            .order_by(task.c.id)
        )
        return [(row.id, row.from_address) for row in await self._connection.execute(statement)]

    async def due(self, now: datetime, limit: int) -> builtins.list[model.Task]:
        """Locked for this transaction; on PostgreSQL other schedulers skip them and take the next ones
        (SQLite has one writer at a time anyway)."""
        task = tables.tasks
        statement = (
            select_tasks()
            .where(
                task.c.next_fire_at <= now,
                task.c.paused.is_(False),
                task.c.state.not_in((model.TaskState.ERROR.value, model.TaskState.CANCELLED.value)),
            )
            .order_by(task.c.next_fire_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=task)
        )
        return [_task_of_row(row) for row in await self._connection.execute(statement)]

    async def set_fired(self, fired: Sequence[model.FiredTask]) -> None:
        """Move many fired tasks on in one statement: each its next fire time, its state when it has one, and
        the ledger rows its run wrote into its counters."""
        if not fired:
            return
        if self._connection.dialect.name == "postgresql":
            # Triggers keep task counts per state (row locks on the counter rows, held to the commit): two
            # batches moving tasks of several kinds would take those rows in crossing orders and deadlock.
            # Batches take turns from here on; claiming and expanding runs before this stay concurrent.
            await self._connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FIRED_TASKS_LOCK})
        task = tables.tasks
        fired_rows = rows_as_values(
            self._connection,
            "fired",
            [
                ("id", task.c.id.type),
                ("next_fire_at", task.c.next_fire_at.type),
                ("state", task.c.state.type),
                ("queued", task.c.requested_count.type),
                ("skipped", task.c.skipped_count.type),
            ],
            [
                (
                    each.task_id,
                    each.next_fire_at,
                    each.state.value if each.state is not None else None,
                    each.queued,
                    each.skipped,
                )
                for each in sorted(fired, key=lambda each: each.task_id)
            ],
        )
        statement = (
            update(task)
            .where(task.c.id == fired_rows.c.id)
            .values(
                next_fire_at=fired_rows.c.next_fire_at,
                state=func.coalesce(fired_rows.c.state, task.c.state),
                error_message=case((fired_rows.c.state.is_not(None), None), else_=task.c.error_message),
                updated_at=self._now,
                **counted_new_ledger(fired_rows.c.queued, fired_rows.c.skipped),
            )
        )
        await self._connection.execute(statement)

    async def _update(self, task_id: int, **values: Any) -> None:
        task = tables.tasks
        await self._connection.execute(update(task).where(task.c.id == task_id).values(updated_at=self._now, **values))
