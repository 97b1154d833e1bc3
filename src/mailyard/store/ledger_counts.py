"""Daily ledger counters: how many ledger rows the runs requested on a day wrote, and how many of them were
accepted (not skipped), per task and recipient domain, kept beside the event counters.

They move in the transaction that writes the rows (a run's expansion, a single send) or cancels queued ones,
so GetStatisticsReport adds up a few counter rows instead of scanning the ledger.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import events, runs
from mailyard.domain.suppressions import local_day
from mailyard.store import tables
from mailyard.store.events import add_to_counters

_SKIPPED = runs.DeliveryState.SKIPPED.value


def address_domain(address: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """What follows an address's last "@" (all of it when it has none): `events.recipient_domain` before it
    lower-cases, which Python does (SQLite's lower() knows ASCII only)."""
    if dialect == "postgresql":
        return func.regexp_replace(address, "^.*@", "")
    # SQLite has no regular expressions: trimming every trailing character that is not an "@" leaves the part
    # up to the last "@", and removing that part leaves the domain.
    return func.replace(address, func.rtrim(address, func.replace(address, "@", "")), "")


async def count_new_ledgers(connection: AsyncConnection, run_ids: Sequence[int]) -> dict[int, Tally[str]]:
    """Count new runs' ledger rows, requested and accepted, on the local day each run was requested, with one
    scan of their rows and one write of the counters (a scheduler batch, a group of single sends); each run's
    rows by state."""
    delivery = tables.deliveries
    domain = address_domain(delivery.c.address, connection.dialect.name)
    statement = (
        select(delivery.c.run_id, domain, delivery.c.state, func.count())
        .where(delivery.c.run_id.in_(run_ids))
        .group_by(delivery.c.run_id, domain, delivery.c.state)
        .order_by(delivery.c.run_id, domain, delivery.c.state)
    )
    states: dict[int, Tally[str]] = {run_id: Tally() for run_id in run_ids}
    grouped = (await connection.execute(statement)).all()
    for run_id, _raw_domain, state, count in grouped:
        states[run_id][state] += count
    if grouped:
        requested_on = await _requested_days(connection, {run_id for run_id, _, _, _ in grouped})
        rows = (
            (*requested_on[run_id], raw_domain.lower(), state, count) for run_id, raw_domain, state, count in grouped
        )
        await add_to_counters(connection, new_ledger_steps(rows))
    return states


def new_ledger_steps(rows: Iterable[tuple[int, int, date, str, str, int]]) -> list[events.CounterStep]:
    """The daily counters new ledger rows move: requested for every row, accepted for every row not skipped,
    per task, day and recipient domain. Rows: (task id, account id, local day the run was requested on,
    recipient domain, state, how many rows)."""
    tally: Tally[tuple[int, int, date, events.Counter, str]] = Tally()
    for task_id, account_id, day, domain, state, count in rows:
        tally[(task_id, account_id, day, events.Counter.REQUESTED, domain)] += count
        if state != _SKIPPED:
            tally[(task_id, account_id, day, events.Counter.ACCEPTED, domain)] += count
    return [
        events.CounterStep(
            account_id=account_id, task_id=task_id, day=day, recipient_domain=domain, counter=counter, amount=amount
        )
        for (task_id, account_id, day, counter, domain), amount in tally.items()
    ]


async def count_cancelled(connection: AsyncConnection, cancelled: Iterable[tuple[int, str]]) -> None:
    """Queued rows (run id, address) that became skipped are no longer accepted on their run's day."""
    tally: Tally[tuple[int, events.Counter, str]] = Tally()
    for run_id, address in cancelled:
        tally[(run_id, events.Counter.ACCEPTED, events.recipient_domain(address))] -= 1
    if tally:
        requested_on = await _requested_days(connection, {run_id for run_id, _, _ in tally})
        await add_to_counters(connection, _steps(tally, requested_on))


def _steps(
    tally: Tally[tuple[int, events.Counter, str]], requested_on: dict[int, tuple[int, int, date]]
) -> list[events.CounterStep]:
    steps = []
    for (run_id, counter, domain), amount in tally.items():
        task_id, account_id, day = requested_on[run_id]
        if amount:
            steps.append(
                events.CounterStep(
                    account_id=account_id,
                    task_id=task_id,
                    day=day,
                    recipient_domain=domain,
                    counter=counter,
                    amount=amount,
                )
            )
    return steps


async def _requested_days(connection: AsyncConnection, run_ids: set[int]) -> dict[int, tuple[int, int, date]]:
    """Run id → (task id, account id, local day of the account the run was requested on)."""
    run, account = tables.runs, tables.accounts
    statement = (
        select(run.c.id, run.c.task_id, run.c.account_id, run.c.created_at, account.c.time_zone)
        .join(account, account.c.id == run.c.account_id)
        .where(run.c.id.in_(sorted(run_ids)))
    )
    return {
        run_id: (task_id, account_id, local_day(created_at, time_zone))
        for run_id, task_id, account_id, created_at, time_zone in await connection.execute(statement)
    }
