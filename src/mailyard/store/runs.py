"""Runs and the delivery ledger: starting a run expands its recipient list in one statement."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import message_ids, paging, runs, tasks
from mailyard.store import ledger_counts, ledger_moves, tables
from mailyard.store.driver_inserts import DriverInsert
from mailyard.store.rows import escape_like, fetch_one, fetch_page, rows_as_values
from mailyard.store.suppressions import in_force
from mailyard.store.tasks import counted_new_ledger


def _run(row: Row[Any]) -> runs.Run:
    return runs.Run(
        id=row.id,
        task_id=row.task_id,
        account_id=row.account_id,
        kind=runs.RunKind(row.kind),
        fire_at=row.fire_at,
        status=runs.RunStatus(row.status),
        requested=row.requested_count,
        sent=row.sent_count,
        failed=row.failed_count,
        skipped=row.skipped_count,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def _delivery(row: Row[Any]) -> runs.Delivery:
    return runs.Delivery(
        id=row.id,
        run_id=row.run_id,
        task_id=row.task_id,
        address=row.address,
        state=runs.DeliveryState(row.state),
        attempts=row.attempts,
        message_id=message_ids.message_id(
            run_key=row.message_key, run_id=row.run_id, delivery_id=row.id, from_address=row.from_address
        ),
        smtp_code=row.smtp_code,
        reason=row.reason,
        updated_at=row.updated_at,
    )


ANALYZE_AFTER_DELIVERIES = 10_000

_INSERT_RUNS = DriverInsert(tables.runs, returning_id=True)  # runs of new tasks (single sends)
# Counters of a run that has not sent anything yet.
_ZERO_RUN_COUNTERS = {"requested_count": 0, "sent_count": 0, "failed_count": 0, "skipped_count": 0}


class SqlRuns:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def start(self, task: tasks.Task, *, fire_at: datetime, kind: runs.RunKind) -> runs.Run | None:
        started = await self.start_many([(task, fire_at)], kind=kind)
        return started[0] if started else None

    async def start_many(
        self, starts: Sequence[tuple[tasks.Task, datetime]], *, kind: runs.RunKind, count_tasks: bool = True
    ) -> builtins.list[runs.Run]:
        """Start one run per (task, fire time) in a few statements, whatever their number: the runs in one
        INSERT, every ledger row in one INSERT ... SELECT, the counters of runs and tasks in one statement
        each (the tasks' left to the caller's own update of them when `count_tasks` is False). A fire time that
        already has a run is left out."""
        if not starts:
            return []
        rows = [self.new_row(task.id, task.account_id, fire_at=fire_at, kind=kind) for task, fire_at in starts]
        returning = self._insert_runs().returning(tables.runs.c.id, tables.runs.c.task_id)
        task_of_run: dict[int, int] = {
            run_id: task_id for run_id, task_id in await self._connection.execute(returning, rows)
        }
        if not task_of_run:
            return []
        run_ids = sorted(task_of_run)
        await self._expand(run_ids)
        states = await ledger_counts.count_new_ledgers(self._connection, run_ids)
        counts = {
            run_id: (tally[runs.DeliveryState.QUEUED.value], tally[runs.DeliveryState.SKIPPED.value])
            for run_id, tally in states.items()
        }
        await self._refresh_statistics(sum(queued for queued, _skipped in counts.values()))
        await self._count_into_runs(counts)
        if count_tasks:
            await self._count_into_tasks(counts, task_of_run)
        statement = select(tables.runs).where(tables.runs.c.id.in_(run_ids)).order_by(tables.runs.c.id)
        return [_run(row) for row in await self._connection.execute(statement)]

    async def insert(self, task_id: int, account_id: int, *, fire_at: datetime, kind: runs.RunKind) -> int | None:
        """Write a new run (of a batch task or a single send) with its Message-ID key; its id, or None when
        that fire time already has a run."""
        values = self.new_row(task_id, account_id, fire_at=fire_at, kind=kind)
        statement = self._insert_runs().values(**values).returning(tables.runs.c.id)
        run_id: int | None = (await self._connection.execute(statement)).scalar_one_or_none()
        return run_id

    def new_row(self, task_id: int, account_id: int, *, fire_at: datetime, kind: runs.RunKind) -> dict[str, Any]:
        """The row of a new run, processing, with zero counters and its own Message-ID key."""
        return {
            "task_id": task_id,
            "account_id": account_id,
            "kind": kind.value,
            "fire_at": fire_at,
            "status": runs.RunStatus.PROCESSING.value,
            "message_key": message_ids.new_run_key(),
            **_ZERO_RUN_COUNTERS,
            "created_at": self._now,
        }

    async def insert_rows(self, rows: Sequence[dict[str, Any]]) -> builtins.list[int]:
        """Write runs of new tasks (rows made by `new_row`; no fire time can have a run yet) in one statement;
        their ids, in order."""
        return await _INSERT_RUNS.run(self._connection, rows)

    def _insert_runs(self) -> postgresql.Insert | sqlite.Insert:
        """An INSERT of runs that leaves out a fire time that already has a run."""
        if self._connection.dialect.name == "postgresql":
            return postgresql.insert(tables.runs).on_conflict_do_nothing(index_elements=["task_id", "fire_at"])
        return sqlite.insert(tables.runs).on_conflict_do_nothing(index_elements=["task_id", "fire_at"])

    async def _count_into_runs(self, counts: Mapping[int, tuple[int, int]]) -> None:
        """The totals of many new runs in one UPDATE, each run with its own values."""
        run_table = tables.runs
        finished = runs.RunStatus.SENT.value
        run_rows = rows_as_values(
            self._connection,
            "counted_runs",
            [
                ("id", run_table.c.id.type),
                ("requested", run_table.c.requested_count.type),
                ("skipped", run_table.c.skipped_count.type),
                ("status", run_table.c.status.type),
                ("finished_at", run_table.c.finished_at.type),
            ],
            [
                (
                    run_id,
                    queued,
                    skipped,
                    *((finished, self._now) if queued == 0 else (runs.RunStatus.PROCESSING.value, None)),
                )
                for run_id, (queued, skipped) in sorted(counts.items())
            ],
        )
        await self._connection.execute(
            update(run_table)
            .where(run_table.c.id == run_rows.c.id)
            .values(
                requested_count=run_rows.c.requested,
                skipped_count=run_rows.c.skipped,
                status=run_rows.c.status,
                finished_at=run_rows.c.finished_at,
            )
        )

    async def _count_into_tasks(self, counts: Mapping[int, tuple[int, int]], task_of_run: Mapping[int, int]) -> None:
        """The new runs' ledger rows into their tasks' counters, in one UPDATE."""
        task_table = tables.tasks
        task_rows = rows_as_values(
            self._connection,
            "counted_tasks",
            [
                ("id", task_table.c.id.type),
                ("queued", task_table.c.requested_count.type),
                ("skipped", task_table.c.skipped_count.type),
            ],
            sorted((task_of_run[run_id], queued, skipped) for run_id, (queued, skipped) in counts.items()),
        )
        await self._connection.execute(
            update(task_table)
            .where(task_table.c.id == task_rows.c.id)
            .values(updated_at=self._now, **counted_new_ledger(task_rows.c.queued, task_rows.c.skipped))
        )

    async def _refresh_statistics(self, added: int) -> None:
        """After a large expansion, give the PostgreSQL planner fresh ledger statistics.

        Autovacuum notices a bulk insert late; until then the planner believes few deliveries are open and
        the claim sorts every open delivery on each call instead of walking the open-deliveries index
        (measured: 1-4 s a claim at 10^6 deliveries, against milliseconds after ANALYZE).
        """
        if added >= ANALYZE_AFTER_DELIVERIES and self._connection.dialect.name == "postgresql":
            await self._connection.execute(text("ANALYZE deliveries"))

    async def _expand(self, run_ids: Sequence[int]) -> None:
        """INSERT ... SELECT: each recipient of each run's list becomes a ledger row, in run and list order;
        suppressed and invalid ones are skipped."""
        recipient, suppression, run, task = tables.recipients, tables.suppressions, tables.runs, tables.tasks
        suppressed_reason = (
            select(suppression.c.reason)
            .where(
                suppression.c.account_id == run.c.account_id,
                suppression.c.address == recipient.c.address,
                in_force(self._now),
            )
            .limit(1)
            .scalar_subquery()
        )
        skip_reason = case(
            (recipient.c.valid.is_(False), literal("invalid: ") + func.coalesce(recipient.c.reason, "")),
            (suppressed_reason.is_not(None), literal("suppressed: ") + suppressed_reason),
            else_=None,
        )
        source = (
            select(
                run.c.id,
                run.c.task_id,
                run.c.account_id,
                recipient.c.address,
                recipient.c.variables,
                case(
                    (skip_reason.is_(None), runs.DeliveryState.QUEUED.value),
                    else_=runs.DeliveryState.SKIPPED.value,
                ),
                literal(0),
                skip_reason,
                literal(self._now, tables.UtcDateTime()),
            )
            .select_from(run)
            .join(task, task.c.id == run.c.task_id)
            .join(recipient, recipient.c.list_id == task.c.recipient_list_id)
            .where(run.c.id.in_(run_ids))
            .order_by(run.c.id, recipient.c.id)
        )
        delivery = tables.deliveries
        columns = ["run_id", "task_id", "account_id", "address", "variables", "state", "attempts", "reason"]
        await self._connection.execute(insert(delivery).from_select([*columns, "updated_at"], source))

    async def cancel_queued(self, task_id: int) -> int:
        delivery, run_table = tables.deliveries, tables.runs
        # A delivery leased by a worker that died is as good as queued once its lease expired.
        abandoned = (delivery.c.state == runs.DeliveryState.SENDING.value) & (delivery.c.lease_expires_at < self._now)
        queued = (delivery.c.task_id == task_id) & ((delivery.c.state == runs.DeliveryState.QUEUED.value) | abandoned)
        cancelled = (
            await self._connection.execute(
                update(delivery)
                .where(queued)
                .values(state=runs.DeliveryState.SKIPPED.value, reason="cancelled", updated_at=self._now)
                .returning(delivery.c.run_id, delivery.c.address)
            )
        ).all()
        await ledger_moves.queued_became_skipped(
            self._connection, self._now, [(task_id, run_id, address) for run_id, address in cancelled]
        )
        await self._connection.execute(
            update(run_table)
            .where(run_table.c.task_id == task_id, run_table.c.status == runs.RunStatus.PROCESSING.value)
            .values(status=runs.RunStatus.SENT.value, finished_at=self._now)
        )
        return len(cancelled)

    async def get(self, task_id: int, run_id: int) -> runs.Run | None:
        table = tables.runs
        statement = select(table).where(table.c.task_id == task_id, table.c.id == run_id)
        return await fetch_one(self._connection, statement, _run)

    async def latest(self, task_id: int) -> runs.Run | None:
        table = tables.runs
        statement = select(table).where(table.c.task_id == task_id).order_by(table.c.id.desc()).limit(1)
        return await fetch_one(self._connection, statement, _run)

    async def active(self, task_id: int) -> runs.Run | None:
        table = tables.runs
        statement = (
            select(table).where(table.c.task_id == task_id, table.c.status == runs.RunStatus.PROCESSING.value).limit(1)
        )
        return await fetch_one(self._connection, statement, _run)

    async def active_among(self, task_ids: Collection[int]) -> set[int]:
        """Which of these tasks have a run that still has deliveries to send."""
        table = tables.runs
        statement = select(table.c.task_id).where(
            table.c.task_id.in_(sorted(task_ids)), table.c.status == runs.RunStatus.PROCESSING.value
        )
        return set((await self._connection.execute(statement)).scalars())

    async def list(self, task_id: int, window: paging.Window) -> paging.Page[runs.Run]:
        table = tables.runs
        statement = select(table).where(table.c.task_id == task_id).order_by(table.c.id.desc())
        return await fetch_page(self._connection, statement, window, _run)

    async def deliveries(
        self,
        task_id: int,
        window: paging.Window,
        *,
        run_id: int | None,
        state: runs.DeliveryState | None,
        address_contains: str | None = None,
        failed_first: bool = False,
    ) -> paging.Page[runs.Delivery]:
        delivery, task, run = tables.deliveries, tables.tasks, tables.runs
        statement = (
            select(delivery, task.c.from_address, run.c.message_key)
            .join(task, task.c.id == delivery.c.task_id)
            .join(run, run.c.id == delivery.c.run_id)
            .where(delivery.c.task_id == task_id)
        )
        if run_id is not None:
            statement = statement.where(delivery.c.run_id == run_id)
        if state is not None:
            statement = statement.where(delivery.c.state == state.value)
        if address_contains:
            statement = statement.where(delivery.c.address.like(escape_like(address_contains.lower()), escape="\\"))
        order = (case((delivery.c.state == runs.DeliveryState.FAILED.value, 0), else_=1), delivery.c.id)
        statement = statement.order_by(*order) if failed_first else statement.order_by(delivery.c.id)
        return await fetch_page(self._connection, statement, window, _delivery)
