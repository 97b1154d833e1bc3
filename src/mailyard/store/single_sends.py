"""Single sends: one task, one run and its ledger rows written in one go, and the attachments they carry.

The task and the run rows are made by the same code as a batch task's (`SqlTasks.new_row`, `SqlRuns.new_row`);
only the ledger rows differ: one per address instead of one per list member. A group of single sends (the
messages submitted over SMTP in one transaction) is written with one statement per table. The daily ledger
counters are moved from the rows as written (their runs were all requested now), not read back from the ledger.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import events, messages, runs, tasks
from mailyard.domain.suppressions import local_day
from mailyard.store import ledger_counts, tables
from mailyard.store.driver_inserts import DriverInsert
from mailyard.store.driver_selects import DriverSelect
from mailyard.store.events import count_new_tasks
from mailyard.store.runs import SqlRuns
from mailyard.store.suppressions import in_force
from mailyard.store.tasks import SqlTasks

_SKIPPED = runs.DeliveryState.SKIPPED.value
_QUEUED = runs.DeliveryState.QUEUED.value
_INSERT_DELIVERIES = DriverInsert(tables.deliveries, returning_id=False)
_INSERT_ATTACHMENTS = insert(tables.task_attachments)
# The group's accounts, each with its time zone and its suppressions in force among the group's addresses (none:
# one row of NULLs), oldest first. Built once: only the values change between groups.
_ACCOUNT, _SUPPRESSION = tables.accounts, tables.suppressions
_ACCOUNTS_AND_SUPPRESSIONS = DriverSelect(
    select(_ACCOUNT.c.id, _ACCOUNT.c.time_zone, _SUPPRESSION.c.address, _SUPPRESSION.c.reason)
    .select_from(
        _ACCOUNT.outerjoin(
            _SUPPRESSION,
            and_(
                _SUPPRESSION.c.account_id == _ACCOUNT.c.id,
                _SUPPRESSION.c.address.in_(bindparam("addresses", expanding=True)),
                in_force(cast(datetime, bindparam("now", type_=_SUPPRESSION.c.expires_at.type))),
            ),
        )
    )
    .where(_ACCOUNT.c.id.in_(bindparam("accounts", expanding=True)))
    .order_by(_SUPPRESSION.c.id)
)
# A single send is sent once, at once: an immediate task that never fires again.
_SCHEDULE = tasks.Schedule(type=tasks.TaskType.IMMEDIATE, terminated=True)


class SqlSingleSends:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now
        self._tasks = SqlTasks(connection, now)
        self._runs = SqlRuns(connection, now)

    async def create(self, sends: Sequence[messages.OwnedSingleSend]) -> builtins.list[tuple[int, datetime]]:
        """One statement per table for the whole group: the tasks, their runs (counted as the ledger rows
        they get), the ledger rows and the attachments, after one look-up of the suppressed addresses."""
        if not sends:
            return []
        time_zones, suppressed = await self._accounts(sends)
        skipped = [sum((item.account_id, address) in suppressed for address in _everyone(item)) for item in sends]
        queued = [len(_everyone(item)) - count for item, count in zip(sends, skipped, strict=True)]
        task_ids = await self._tasks.insert_rows(
            [self._task_row(item, waiting, count) for item, waiting, count in zip(sends, queued, skipped, strict=True)]
        )
        run_ids = await self._runs.insert_rows(
            [
                self._run_row(task_id, item.account_id, waiting, count)
                for task_id, item, waiting, count in zip(task_ids, sends, queued, skipped, strict=True)
            ]
        )
        rows = [
            self._ledger_row(item.account_id, task_id, run_id, address, suppressed.get((item.account_id, address)))
            for item, task_id, run_id in zip(sends, task_ids, run_ids, strict=True)
            for address in _everyone(item)
        ]
        if rows:
            await _INSERT_DELIVERIES.run(self._connection, rows)
            days = {account_id: local_day(self._now, time_zone) for account_id, time_zone in time_zones.items()}
            counted = (
                (
                    row["task_id"],
                    row["account_id"],
                    days[row["account_id"]],
                    events.recipient_domain(row["address"]),
                    row["state"],
                    1,
                )
                for row in rows
            )
            await count_new_tasks(self._connection, ledger_counts.new_ledger_steps(counted))
        await self._write_attachments(
            [
                (task_id, attachment)
                for item, task_id in zip(sends, task_ids, strict=True)
                for attachment in item.send.attachments
            ]
        )
        return [(task_id, self._now) for task_id in task_ids]

    async def attachments(self, task_id: int) -> builtins.list[messages.Attachment]:
        table = tables.task_attachments
        statement = select(table).where(table.c.task_id == task_id).order_by(table.c.id)
        return [
            messages.Attachment(filename=row.filename, content_type=row.content_type, content=bytes(row.content))
            for row in await self._connection.execute(statement)
        ]

    def _task_row(self, item: messages.OwnedSingleSend, queued: int, skipped: int) -> dict[str, Any]:
        send = item.send
        row = self._tasks.new_row(
            account_id=item.account_id,
            owner_id=item.owner_id,
            name=item.name,
            kind=tasks.TaskKind.SINGLE,
            from_address=send.from_address,
            reply_to=send.reply_to,
            subject=send.subject,
            template_id=send.template_id,
            variables=send.variables,
            recipient_list_id=None,
            schedule=_SCHEDULE,
            state=tasks.TaskState.SENDING if queued else tasks.TaskState.DONE,  # nobody to send to: done at once
            unsubscribe=send.unsubscribe,
            next_fire_at=None,
            cc=send.recipients.cc,
            bcc=send.recipients.bcc,
        )
        return row | {"requested_count": queued, "cached_count": queued, "skipped_count": skipped}

    def _run_row(self, task_id: int, account_id: int, queued: int, skipped: int) -> dict[str, Any]:
        row = self._runs.new_row(task_id, account_id, fire_at=self._now, kind=runs.RunKind.SCHEDULED)
        row |= {"requested_count": queued, "skipped_count": skipped}
        if not queued:  # a run with nothing to send is finished at once
            row |= {"status": runs.RunStatus.SENT.value, "finished_at": self._now}
        return row

    def _ledger_row(
        self, account_id: int, task_id: int, run_id: int, address: str, suppressed_for: str | None
    ) -> dict[str, Any]:
        """A queued delivery, or a skipped one when the address is suppressed."""
        return {
            "run_id": run_id,
            "task_id": task_id,
            "account_id": account_id,
            "address": address,
            "variables": None,
            "state": _SKIPPED if suppressed_for else _QUEUED,
            "attempts": 0,
            "reason": f"suppressed: {suppressed_for}" if suppressed_for else None,
            "updated_at": self._now,
        }

    async def _write_attachments(self, attachments: Sequence[tuple[int, messages.Attachment]]) -> None:
        if not attachments:
            return
        await self._connection.execute(
            _INSERT_ATTACHMENTS,
            [
                {
                    "task_id": task_id,
                    "filename": item.filename,
                    "content_type": item.content_type,
                    "content": item.content,
                }
                for task_id, item in attachments
            ],
        )

    async def _accounts(
        self, sends: Sequence[messages.OwnedSingleSend]
    ) -> tuple[dict[int, str], dict[tuple[int, str], str]]:
        """The time zone of each account of the group, and (account, address) → suppression reason for the
        addresses never to send to (the same rule as a list's run): one look-up for the group."""
        parameters = {
            "accounts": sorted({item.account_id for item in sends}),
            "addresses": sorted({address for item in sends for address in _everyone(item)}),
            "now": self._now,
        }
        time_zones: dict[int, str] = {}
        found: dict[tuple[int, str], str] = {}
        for account_id, time_zone, address, reason in await _ACCOUNTS_AND_SUPPRESSIONS.rows(
            self._connection, parameters
        ):
            time_zones[account_id] = time_zone
            if address is not None:
                found.setdefault((account_id, address), reason)
        return time_zones, found


def _everyone(item: messages.OwnedSingleSend) -> tuple[str, ...]:
    return item.send.recipients.everyone
