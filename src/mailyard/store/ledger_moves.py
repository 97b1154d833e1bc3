"""Counters follow the ledger when queued rows become skipped (a cancelled task, a copy found suppressed at its
claim): the rule in one place for both."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.store import ledger_counts, tables
from mailyard.store.tasks import counted_new_ledger


async def queued_became_skipped(
    connection: AsyncConnection, now: datetime, skipped: Sequence[tuple[int, int, str]]
) -> None:
    """Ledger rows (task id, run id, address) that left the queue for skipped: their tasks and runs count them
    as skipped instead of requested (and, for tasks, cached), and their day's accepted counters lose them."""
    task, run = tables.tasks, tables.runs
    for task_id, count in sorted(Counter(task_id for task_id, _, _ in skipped).items()):
        await connection.execute(
            update(task).where(task.c.id == task_id).values(updated_at=now, **counted_new_ledger(-count, count))
        )
    for run_id, count in sorted(Counter(run_id for _, run_id, _ in skipped).items()):
        await connection.execute(
            update(run)
            .where(run.c.id == run_id)
            .values(requested_count=run.c.requested_count - count, skipped_count=run.c.skipped_count + count)
        )
    await ledger_counts.count_cancelled(connection, [(run_id, address) for _, run_id, address in skipped])
