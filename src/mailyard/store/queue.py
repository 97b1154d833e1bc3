"""The delivery ledger as a work queue: claim with a lease, renew, release, record outcomes in batches.

The only place with dialect-specific locking. On PostgreSQL a claim is `UPDATE ... WHERE id IN (SELECT ...
FOR UPDATE SKIP LOCKED)`, so concurrent workers never wait on each other's rows; on SQLite the same statement
runs inside BEGIN IMMEDIATE (see engine.py), which already serializes writers.

Lock order is deliveries, then tasks, then runs (each group in ascending id), the same order as cancelling
a task, so recording outcomes cannot deadlock against it or against another worker.
"""

from __future__ import annotations

import builtins
import json
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import message_ids, runs, sending, tasks
from mailyard.store import ledger_moves, tables
from mailyard.store.suppressions import in_force

_QUEUED = runs.DeliveryState.QUEUED.value
_SENDING = runs.DeliveryState.SENDING.value
_STOPPED_STATES = (tasks.TaskState.ERROR.value, tasks.TaskState.CANCELLED.value)


# Every this many claims one walks the whole open-deliveries index, whatever the floor says.
FULL_WALK_EVERY = 16


class ClaimFloor:
    """Where PostgreSQL claims start their walk of the open-deliveries index; shared by a store's claims.

    An UPDATE leaves the row's old index entries behind until no snapshot can see them. While a long
    transaction runs anywhere on the server (a backup, a report), each delivery sent meanwhile leaves dead
    entries at the low end of the index, and a claim walking from the lowest id visits every one of them.
    Starting at the lowest id the last claim took skips them. Deliveries below the floor that become
    claimable again (retries, released or abandoned leases) are found by a full walk: whenever a walk from
    the floor comes back short, and on every `FULL_WALK_EVERY`-th claim.
    """

    def __init__(self) -> None:
        self.lowest = 0
        self.claims = 0

    def start(self) -> int:
        """The id this claim's walk starts at (0: the whole index)."""
        self.claims += 1
        return 0 if self.claims % FULL_WALK_EVERY == 0 else self.lowest


class SqlDeliveryQueue:
    def __init__(self, connection: AsyncConnection, now: datetime, floor: ClaimFloor | None = None) -> None:
        self._connection = connection
        self._now = now
        self._locks_rows = connection.dialect.name == "postgresql"
        self._floor = floor if self._locks_rows else None  # SQLite updates its indexes in place

    async def claim(
        self,
        *,
        owner: str,
        limit: int,
        lease_for: timedelta,
        account_id: int | None = None,
        exclude_accounts: Collection[int] = (),
    ) -> builtins.list[sending.ClaimedDelivery]:
        delivery = tables.deliveries
        filters: builtins.list[ColumnElement[bool]] = []
        if account_id is not None:
            filters.append(delivery.c.account_id == account_id)
        if exclude_accounts:
            filters.append(delivery.c.account_id.not_in(sorted(exclude_accounts)))
        start = self._floor.start() if self._floor else 0
        claimed = await self._claim(owner, limit, lease_for, [*filters, delivery.c.id >= start] if start else filters)
        if start and len(claimed) < limit:
            claimed = sorted(
                claimed + await self._claim(owner, limit - len(claimed), lease_for, filters),
                key=lambda claim: claim.id,
            )
        if self._floor and claimed:
            self._floor.lowest = claimed[0].id
        return claimed

    async def _claim(
        self, owner: str, limit: int, lease_for: timedelta, filters: builtins.list[ColumnElement[bool]]
    ) -> builtins.list[sending.ClaimedDelivery]:
        delivery = tables.deliveries
        candidates = self._claimable(limit, *filters)
        statement = (
            update(delivery)
            .where(delivery.c.id.in_(candidates.scalar_subquery()))
            .values(
                state=_SENDING,
                lease_owner=owner,
                lease_expires_at=self._now + lease_for,
                updated_at=self._now,
            )
            # One statement: the claimed rows come back with what their Message-ID is made of (the task's From
            # address, the run's key), through scalar subqueries since SQLite's RETURNING cannot name a join.
            .returning(*delivery.c, self._from_address(), self._run_key())
        )
        rows = sorted((await self._connection.execute(statement)).all(), key=lambda row: row.id)
        return [_claimed(row) for row in rows]

    @staticmethod
    def _from_address() -> ColumnElement[Any]:
        delivery, task = tables.deliveries, tables.tasks
        return (
            select(task.c.from_address)
            .where(task.c.id == delivery.c.task_id)
            .correlate(delivery)
            .scalar_subquery()
            .label("from_address")
        )

    @staticmethod
    def _run_key() -> ColumnElement[Any]:
        delivery, run = tables.deliveries, tables.runs
        return (
            select(run.c.message_key)
            .where(run.c.id == delivery.c.run_id)
            .correlate(delivery)
            .scalar_subquery()
            .label("message_key")
        )

    def _claimable(self, limit: int, *filters: ColumnElement[bool]) -> Select[Any]:
        """The ids of the `limit` lowest claimable deliveries: queued and due, or leased by a dead worker."""
        delivery, task = tables.deliveries, tables.tasks
        fresh = (delivery.c.state == _QUEUED) & delivery.c.not_before.is_(None)
        retry = (delivery.c.state == _QUEUED) & (delivery.c.not_before <= self._now)
        abandoned = (delivery.c.state == _SENDING) & (delivery.c.lease_expires_at <= self._now)

        def lowest(condition: ColumnElement[bool]) -> Select[Any]:
            return (
                select(delivery.c.id)
                .join(task, task.c.id == delivery.c.task_id)
                .where(condition, task.c.paused.is_(False), task.c.state.not_in(_STOPPED_STATES), *filters)
                .order_by(delivery.c.id)
                .limit(limit)
            )

        if self._locks_rows:
            return lowest(or_(fresh, retry, abandoned)).with_for_update(of=delivery, skip_locked=True)
        # SQLite answers one OR of the three by collecting and sorting every queued row of the ledger, on each
        # claim; apart, each walks ix_deliveries_state_not_before in id order and stops after `limit` rows.
        parts = [lowest(condition).subquery() for condition in (fresh, retry, abandoned)]
        merged = union_all(*(select(part.c.id) for part in parts)).subquery()
        return select(merged.c.id).order_by(merged.c.id).limit(limit)

    async def renew(self, *, owner: str, delivery_ids: Sequence[int], lease_for: timedelta) -> int:
        delivery = tables.deliveries
        statement = (
            update(delivery)
            .where(delivery.c.id.in_(delivery_ids), delivery.c.lease_owner == owner, delivery.c.state == _SENDING)
            .values(lease_expires_at=self._now + lease_for)
        )
        return (await self._connection.execute(statement)).rowcount

    async def release(self, *, owner: str, delivery_ids: Sequence[int]) -> int:
        delivery = tables.deliveries
        statement = (
            update(delivery)
            .where(delivery.c.id.in_(delivery_ids), delivery.c.lease_owner == owner, delivery.c.state == _SENDING)
            .values(state=_QUEUED, lease_owner=None, lease_expires_at=None, updated_at=self._now)
        )
        return (await self._connection.execute(statement)).rowcount

    async def depth(self) -> sending.QueueDepth:
        """Open deliveries (queued or leased) and when the longest-waiting one was last touched."""
        delivery = tables.deliveries
        statement = select(func.count(), func.min(delivery.c.updated_at)).where(
            delivery.c.state.in_((_QUEUED, _SENDING))
        )
        count, oldest = (await self._connection.execute(statement)).one()
        return sending.QueueDepth(open=int(count), oldest=oldest)

    async def record(self, *, owner: str, results: Sequence[sending.DeliveryResult]) -> sending.RecordedBatch:
        kept = await self._write_outcomes(owner, results)
        if not kept:
            return sending.RecordedBatch(written=[], finished=[])
        await self._count_tasks(kept)
        run_ids = await self._count_runs(kept)
        return sending.RecordedBatch(written=kept, finished=await self._finish_runs(run_ids))

    async def skip_suppressed(self, *, owner: str, claimed: Sequence[sending.ClaimedDelivery]) -> sending.SkippedBatch:
        """Skip the claimed deliveries whose address is suppressed now, as the run's expansion would have had
        it been then (a bounce or complaint about another copy, or an unsubscribe, came meanwhile): with the
        reason, out of the run's and task's requested counts into skipped, the runs left with nothing closed."""
        reasons = await self._suppression_reasons(claimed)
        skipped = [
            (delivery, f"suppressed: {reasons[(delivery.account_id, delivery.address)]}")
            for delivery in sorted(claimed, key=lambda delivery: delivery.id)
            if (delivery.account_id, delivery.address) in reasons
        ]
        if not skipped:
            return sending.SkippedBatch(skipped=[], finished=[])
        delivery = tables.deliveries
        statement = (
            update(delivery)
            .where(
                delivery.c.id.in_([item.id for item, _ in skipped]),
                delivery.c.lease_owner == owner,
                delivery.c.state == _SENDING,
            )
            .values(
                state=runs.DeliveryState.SKIPPED.value,
                reason=case({item.id: reason for item, reason in skipped}, value=delivery.c.id),
                lease_owner=None,
                lease_expires_at=None,
                updated_at=self._now,
            )
            .returning(delivery.c.id)
        )
        owned = set((await self._connection.execute(statement)).scalars())
        skipped = [(item, reason) for item, reason in skipped if item.id in owned]
        moved = [(item.task_id, item.run_id, item.address) for item, _ in skipped]
        await ledger_moves.queued_became_skipped(self._connection, self._now, moved)
        run_ids = sorted({item.run_id for item, _ in skipped})
        return sending.SkippedBatch(skipped=skipped, finished=await self._finish_runs(run_ids))

    async def _suppression_reasons(self, claimed: Sequence[sending.ClaimedDelivery]) -> dict[tuple[int, str], str]:
        """(account id, address) → the reason of a suppression in force, for the claimed deliveries' addresses."""
        if not claimed:
            return {}
        suppression = tables.suppressions
        statement = (
            select(suppression.c.account_id, suppression.c.address, suppression.c.reason)
            .where(
                suppression.c.account_id.in_(sorted({item.account_id for item in claimed})),
                suppression.c.address.in_(sorted({item.address for item in claimed})),
                in_force(self._now),
            )
            .order_by(suppression.c.id)
        )
        found: dict[tuple[int, str], str] = {}
        for account_id, address, reason in await self._connection.execute(statement):
            found.setdefault((account_id, address), reason)
        return found

    async def _write_outcomes(
        self, owner: str, results: Sequence[sending.DeliveryResult]
    ) -> builtins.list[sending.DeliveryResult]:
        """Write the batch's outcomes in one UPDATE; the results that counted.

        Only outcomes of deliveries this worker still leases count: a lease that expired and was claimed by
        another worker belongs to that worker now. A column with one value across the batch (every copy sent:
        state, code and reason alike) is set plainly, the others through a CASE on the id, so the statement
        is the same on both databases. PostgreSQL locks the rows in ascending id (its index scan sorts the
        id list), the lock order documented above.
        """
        delivery = tables.deliveries
        ordered = sorted(results, key=lambda result: result.delivery.id)
        ids = [result.delivery.id for result in ordered]

        def per_delivery(values: builtins.list[Any], type_: Any) -> Any:
            if all(value == values[0] for value in values):
                return literal(values[0], type_)
            return case(
                {key: literal(value, type_) for key, value in zip(ids, values, strict=True)}, value=delivery.c.id
            )

        statement = (
            update(delivery)
            .where(delivery.c.id.in_(ids), delivery.c.lease_owner == owner, delivery.c.state == _SENDING)
            .values(
                state=per_delivery([result.state.value for result in ordered], delivery.c.state.type),
                attempts=delivery.c.attempts
                + per_delivery([int(result.counts_attempt) for result in ordered], delivery.c.attempts.type),
                not_before=per_delivery([result.not_before for result in ordered], delivery.c.not_before.type),
                smtp_code=per_delivery([result.code for result in ordered], delivery.c.smtp_code.type),
                reason=per_delivery(
                    [result.reason[:2000] if result.reason else None for result in ordered], delivery.c.reason.type
                ),
                lease_owner=None,
                lease_expires_at=None,
                updated_at=self._now,
            )
            .returning(delivery.c.id)
        )
        owned = set((await self._connection.execute(statement)).scalars())
        return [result for result in ordered if result.delivery.id in owned]

    async def _count_tasks(self, results: Sequence[sending.DeliveryResult]) -> None:
        task = tables.tasks
        for task_id, (sent, failed) in _final_counts(results, lambda result: result.delivery.task_id):
            await self._connection.execute(
                update(task)
                .where(task.c.id == task_id)
                .values(
                    sent_count=task.c.sent_count + sent,
                    failed_count=task.c.failed_count + failed,
                    cached_count=task.c.cached_count - sent - failed,
                    updated_at=self._now,
                )
            )

    async def _count_runs(self, results: Sequence[sending.DeliveryResult]) -> builtins.list[int]:
        run = tables.runs
        settled: builtins.list[int] = []
        for run_id, (sent, failed) in _final_counts(results, lambda result: result.delivery.run_id):
            statement = (
                update(run)
                .where(run.c.id == run_id)
                .values(sent_count=run.c.sent_count + sent, failed_count=run.c.failed_count + failed)
                .returning(run.c.sent_count, run.c.failed_count, run.c.requested_count, run.c.status)
            )
            row = (await self._connection.execute(statement)).one_or_none()
            # The run's counters follow its ledger, so a run whose sent + failed is short of requested still
            # has work: only the others are worth the ledger check in _finish_runs.
            if row is None or row.status != runs.RunStatus.PROCESSING.value:
                continue
            if row.sent_count + row.failed_count >= row.requested_count:
                settled.append(run_id)
        return settled

    async def _finish_runs(self, run_ids: Sequence[int]) -> builtins.list[sending.FinishedRun]:
        """Close the runs with no queued or leased delivery left: SENT, or FAILED when nothing got through."""
        run, delivery = tables.runs, tables.deliveries
        if not run_ids:  # only runs whose counters say settled (_count_runs) pay for the ledger check below
            return []
        open_work = (
            select(delivery.c.id)
            .where(delivery.c.run_id == run.c.id, delivery.c.state.in_((_QUEUED, _SENDING)))
            .exists()
        )
        statement = select(run).where(
            run.c.id.in_(run_ids), run.c.status == runs.RunStatus.PROCESSING.value, ~open_work
        )
        finished = (await self._connection.execute(statement.order_by(run.c.id))).all()
        for row in finished:
            nothing_sent = row.sent_count == 0 and row.failed_count > 0
            status = runs.RunStatus.FAILED if nothing_sent else runs.RunStatus.SENT
            await self._connection.execute(
                update(run).where(run.c.id == row.id).values(status=status.value, finished_at=self._now)
            )
        return [
            sending.FinishedRun(
                run_id=row.id,
                task_id=row.task_id,
                account_id=row.account_id,
                manual=row.kind == runs.RunKind.MANUAL.value,
            )
            for row in finished
        ]


def _claimed(row: Any) -> sending.ClaimedDelivery:
    return sending.ClaimedDelivery(
        id=row.id,
        run_id=row.run_id,
        task_id=row.task_id,
        account_id=row.account_id,
        address=row.address,
        variables=json.loads(row.variables) if row.variables else {},
        attempts=row.attempts,
        message_id=message_ids.message_id(
            run_key=row.message_key, run_id=row.run_id, delivery_id=row.id, from_address=row.from_address
        ),
    )


def _final_counts(results: Iterable[sending.DeliveryResult], key: Any) -> builtins.list[tuple[int, tuple[int, int]]]:
    """(id, (sent, failed)) per task or run, in ascending id so row locks are always taken in one order."""
    sent: Counter[int] = Counter()
    failed: Counter[int] = Counter()
    touched: set[int] = set()
    for result in results:
        touched.add(key(result))
        if result.state is runs.DeliveryState.SENT:
            sent[key(result)] += 1
        elif result.state is runs.DeliveryState.FAILED:
            failed[key(result)] += 1
    return [(item, (sent[item], failed[item])) for item in sorted(touched)]
