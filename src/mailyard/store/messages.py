"""Single sends: one task, one run and its ledger rows written in one go; their statuses and daily volumes."""

from __future__ import annotations

import builtins
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Date, case, cast, func, insert, literal, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import messages, paging, runs, tasks
from mailyard.domain.suppressions import SuppressionReason
from mailyard.domain.visibility import TaskScope
from mailyard.store import tables
from mailyard.store.runs import ZERO_RUN_COUNTERS, SqlRuns, settle_new_run
from mailyard.store.tasks import ZERO_TASK_COUNTERS, SqlTasks, scope_condition

_SKIPPED = runs.DeliveryState.SKIPPED.value
_UNSUBSCRIBED = f"suppressed: {SuppressionReason.UNSUBSCRIBE.value}"


class SqlMessages:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create_single(
        self, *, account_id: int, owner_id: int, send: messages.SingleSend, name: str
    ) -> tuple[tasks.Task, runs.Run]:
        task_id = await self._insert_task(account_id, owner_id, send, name)
        run_id = await self._insert_run(account_id, task_id)
        suppressed = await self._suppressed(account_id, send.recipients.everyone)
        rows = [
            {
                "run_id": run_id,
                "task_id": task_id,
                "account_id": account_id,
                "address": address,
                "variables": None,
                "state": _SKIPPED if address in suppressed else runs.DeliveryState.QUEUED.value,
                "attempts": 0,
                "reason": f"suppressed: {suppressed[address]}" if address in suppressed else None,
                "updated_at": self._now,
            }
            for address in send.recipients.everyone
        ]
        await self._connection.execute(insert(tables.deliveries), rows)
        if send.attachments:
            await self._connection.execute(
                insert(tables.task_attachments),
                [
                    {
                        "task_id": task_id,
                        "filename": item.filename,
                        "content_type": item.content_type,
                        "content": item.content,
                    }
                    for item in send.attachments
                ],
            )
        await self._count(task_id, run_id, queued=len(rows) - len(suppressed), skipped=len(suppressed))
        task = await SqlTasks(self._connection, self._now).get(account_id, task_id)
        run = await SqlRuns(self._connection, self._now).get(task_id, run_id)
        assert task is not None and run is not None
        return task, run

    async def _insert_task(self, account_id: int, owner_id: int, send: messages.SingleSend, name: str) -> int:
        statement = (
            insert(tables.tasks)
            .values(
                account_id=account_id,
                owner_id=owner_id,
                name=name,
                kind=tasks.TaskKind.SINGLE.value,
                from_address=send.from_address,
                reply_to=send.reply_to,
                subject=send.subject,
                template_id=send.template_id,
                variables=json.dumps(send.variables, ensure_ascii=False),
                recipient_list_id=None,
                cc=json.dumps(send.recipients.cc),
                bcc=json.dumps(send.recipients.bcc),
                task_type=int(tasks.TaskType.IMMEDIATE),
                terminated=True,
                paused=False,
                state=tasks.TaskState.SENDING.value,
                unsubscribe=send.unsubscribe,
                **ZERO_TASK_COUNTERS,
                next_fire_at=None,
                created_at=self._now,
                updated_at=self._now,
            )
            .returning(tables.tasks.c.id)
        )
        return int((await self._connection.execute(statement)).scalar_one())

    async def _insert_run(self, account_id: int, task_id: int) -> int:
        statement = (
            insert(tables.runs)
            .values(
                task_id=task_id,
                account_id=account_id,
                kind=runs.RunKind.SCHEDULED.value,
                fire_at=self._now,
                status=runs.RunStatus.PROCESSING.value,
                **ZERO_RUN_COUNTERS,
                created_at=self._now,
            )
            .returning(tables.runs.c.id)
        )
        return int((await self._connection.execute(statement)).scalar_one())

    async def _suppressed(self, account_id: int, addresses: tuple[str, ...]) -> dict[str, str]:
        """Address → suppression reason, for the addresses never to send to (the same rule as a list's run)."""
        suppression = tables.suppressions
        statement = (
            select(suppression.c.address, suppression.c.reason)
            .where(
                suppression.c.account_id == account_id,
                suppression.c.address.in_(addresses),
                suppression.c.expires_at.is_(None) | (suppression.c.expires_at > self._now),
            )
            .order_by(suppression.c.id)
        )
        found: dict[str, str] = {}
        for address, reason in await self._connection.execute(statement):
            found.setdefault(address, reason)
        return found

    async def _count(self, task_id: int, run_id: int, *, queued: int, skipped: int) -> None:
        finished = queued == 0
        await settle_new_run(self._connection, run_id, queued=queued, skipped=skipped, now=self._now)
        await self._connection.execute(
            update(tables.tasks)
            .where(tables.tasks.c.id == task_id)
            .values(
                requested_count=queued,
                cached_count=queued,
                skipped_count=skipped,
                state=(tasks.TaskState.DONE if finished else tasks.TaskState.SENDING).value,
            )
        )

    async def attachments(self, task_id: int) -> builtins.list[messages.Attachment]:
        table = tables.task_attachments
        statement = select(table).where(table.c.task_id == task_id).order_by(table.c.id)
        return [
            messages.Attachment(filename=row.filename, content_type=row.content_type, content=bytes(row.content))
            for row in await self._connection.execute(statement)
        ]

    async def statuses(
        self, scope: TaskScope, query: messages.StatusQuery, window: paging.Window
    ) -> builtins.list[messages.EmailStatus]:
        delivery, task = tables.deliveries, tables.tasks
        statement = (
            select(
                delivery, task.c.from_address, task.c.created_at.label("requested_at"), task.c.state.label("task_state")
            )
            .join(task, task.c.id == delivery.c.task_id)
            .where(
                scope_condition(scope),
                task.c.kind == tasks.TaskKind.SINGLE.value,
                task.c.created_at >= query.start,
                task.c.created_at < query.end,
            )
        )
        if query.task_id is not None:
            statement = statement.where(task.c.id == query.task_id)
        if query.to_address is not None:
            statement = statement.where(delivery.c.address == query.to_address)
        statement = statement.order_by(delivery.c.id).offset(window.offset).limit(window.limit)
        return [_status(row) for row in await self._connection.execute(statement)]

    async def volumes(self, scope: TaskScope, query: messages.VolumeQuery) -> builtins.list[messages.Volume]:
        delivery, run, task = tables.deliveries, tables.runs, tables.tasks
        rows = (
            select(
                self._local_day(run.c.created_at, query).label("day"),
                delivery.c.state.label("state"),
                delivery.c.reason.label("reason"),
            )
            .join(run, run.c.id == delivery.c.run_id)
            .join(task, task.c.id == delivery.c.task_id)
            .where(scope_condition(scope), run.c.created_at >= query.start, run.c.created_at < query.end)
        )
        if query.sender_domain is not None:
            sender = func.lower(task.c.from_address)
            rows = rows.where(
                sender.endswith(f"@{query.sender_domain}", autoescape=True)
                | sender.endswith(f"@{query.sender_domain}>", autoescape=True)
            )
        if query.recipient_domain is not None:
            rows = rows.where(func.lower(delivery.c.address).endswith(f"@{query.recipient_domain}", autoescape=True))
        ledger = rows.subquery()
        state = ledger.c.state

        def count(condition: ColumnElement[bool]) -> Any:
            return func.sum(case((condition, 1), else_=0))

        statement = (
            select(
                ledger.c.day,
                func.count(),
                count(state != _SKIPPED),
                count(state == runs.DeliveryState.SENT.value),
                count(state == runs.DeliveryState.FAILED.value),
                count((state == _SKIPPED) & (ledger.c.reason == _UNSUBSCRIBED)),
            )
            .group_by(ledger.c.day)
            .order_by(ledger.c.day)
        )
        return [
            messages.Volume(
                day=_as_date(day),
                requested=requested,
                accepted=accepted,
                delivered=sent,
                bounced=failed,
                unsubscribed=gone,
            )
            for day, requested, accepted, sent, failed, gone in await self._connection.execute(statement)
        ]

    def _local_day(self, moment: Any, query: messages.VolumeQuery) -> ColumnElement[Any]:
        """The account-local date of a stored UTC time: shifted by the zone's offset at that instant.

        ``query.offsets`` lists (UTC instant, offset minutes) from the start of the range on; DST zones have
        more than one. SQLite shifts with a date() modifier, PostgreSQL with an interval.
        """
        minutes: ColumnElement[Any] = literal(query.offsets[0][1])
        for since, offset in query.offsets[1:]:
            minutes = case((moment >= literal(since, tables.UtcDateTime()), literal(offset)), else_=minutes)
        if self._connection.dialect.name == "sqlite":
            return func.date(moment, func.printf("%+d minutes", minutes))
        return cast(moment + func.make_interval(0, 0, 0, 0, 0, minutes), Date)


def _status(row: Row[Any]) -> messages.EmailStatus:
    return messages.EmailStatus(
        message_id=messages.message_id_of(row.task_id, row.requested_at),
        to_address=row.address,
        from_address=row.from_address,
        state=row.state,
        smtp_code=row.smtp_code,
        reason=row.reason,
        attempts=row.attempts,
        task_suspended=row.task_state == tasks.TaskState.SUSPENDED.value,
        requested_at=row.requested_at,
        updated_at=row.updated_at,
    )


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
