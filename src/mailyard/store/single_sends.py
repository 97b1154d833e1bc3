"""Single sends: one task, one run and its ledger rows written in one go, and the attachments they carry.

The task and the run are written by the same code as a batch task's (`SqlTasks.insert`, `SqlRuns.insert`),
and counted the same way; only the ledger rows differ: one per address instead of one per list member.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import messages, runs, tasks
from mailyard.store import tables
from mailyard.store.runs import SqlRuns
from mailyard.store.suppressions import in_force
from mailyard.store.tasks import SqlTasks

_SKIPPED = runs.DeliveryState.SKIPPED.value
# A single send is sent once, at once: an immediate task that never fires again.
_SCHEDULE = tasks.Schedule(type=tasks.TaskType.IMMEDIATE, terminated=True)


class SqlSingleSends:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now
        self._tasks = SqlTasks(connection, now)
        self._runs = SqlRuns(connection, now)

    async def create(
        self, *, account_id: int, owner_id: int, send: messages.SingleSend, name: str
    ) -> tuple[tasks.Task, runs.Run]:
        task_id = await self._tasks.insert(
            account_id=account_id,
            owner_id=owner_id,
            name=name,
            kind=tasks.TaskKind.SINGLE,
            from_address=send.from_address,
            reply_to=send.reply_to,
            subject=send.subject,
            template_id=send.template_id,
            variables=send.variables,
            recipient_list_id=None,
            schedule=_SCHEDULE,
            state=tasks.TaskState.SENDING,
            unsubscribe=send.unsubscribe,
            next_fire_at=None,
            cc=send.recipients.cc,
            bcc=send.recipients.bcc,
        )
        run_id = await self._runs.insert(task_id, account_id, fire_at=self._now, kind=runs.RunKind.SCHEDULED)
        assert run_id is not None  # a new task has no run yet
        skipped = await self._write_ledger(account_id, task_id, run_id, send.recipients.everyone)
        await self._write_attachments(task_id, send.attachments)
        queued = len(send.recipients.everyone) - skipped
        await self._runs.count_new_ledger(task_id, run_id, queued=queued, skipped=skipped)
        if queued == 0:
            await self._tasks.set_state(task_id, tasks.TaskState.DONE)
        task = await self._tasks.get(account_id, task_id)
        run = await self._runs.get(task_id, run_id)
        assert task is not None and run is not None
        return task, run

    async def attachments(self, task_id: int) -> builtins.list[messages.Attachment]:
        table = tables.task_attachments
        statement = select(table).where(table.c.task_id == task_id).order_by(table.c.id)
        return [
            messages.Attachment(filename=row.filename, content_type=row.content_type, content=bytes(row.content))
            for row in await self._connection.execute(statement)
        ]

    async def _write_ledger(self, account_id: int, task_id: int, run_id: int, addresses: tuple[str, ...]) -> int:
        """One queued delivery per address, or a skipped one when it is suppressed; how many were skipped."""
        suppressed = await self._suppressed(account_id, addresses)
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
            for address in addresses
        ]
        await self._connection.execute(insert(tables.deliveries), rows)
        return len(suppressed)

    async def _write_attachments(self, task_id: int, attachments: tuple[messages.Attachment, ...]) -> None:
        if not attachments:
            return
        await self._connection.execute(
            insert(tables.task_attachments),
            [
                {
                    "task_id": task_id,
                    "filename": item.filename,
                    "content_type": item.content_type,
                    "content": item.content,
                }
                for item in attachments
            ],
        )

    async def _suppressed(self, account_id: int, addresses: tuple[str, ...]) -> dict[str, str]:
        """Address → suppression reason, for the addresses never to send to (the same rule as a list's run)."""
        suppression = tables.suppressions
        statement = (
            select(suppression.c.address, suppression.c.reason)
            .where(suppression.c.account_id == account_id, suppression.c.address.in_(addresses), in_force(self._now))
            .order_by(suppression.c.id)
        )
        found: dict[str, str] = {}
        for address, reason in await self._connection.execute(statement):
            found.setdefault(address, reason)
        return found
