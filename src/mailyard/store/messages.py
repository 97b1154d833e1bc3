"""Single sends: one task, one run and its ledger rows written in one go, and the attachments they carry."""

from __future__ import annotations

import builtins
import json
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import message_ids, messages, runs, tasks
from mailyard.store import tables
from mailyard.store.runs import ZERO_RUN_COUNTERS, SqlRuns, settle_new_run
from mailyard.store.tasks import ZERO_TASK_COUNTERS, SqlTasks

_SKIPPED = runs.DeliveryState.SKIPPED.value


class SqlMessages:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(
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
                message_key=message_ids.new_run_key(),
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
