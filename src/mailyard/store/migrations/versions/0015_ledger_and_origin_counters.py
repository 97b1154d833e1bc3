"""daily ledger counters (requested, accepted) and opens and clicks by people and by machines, filled from
the existing ledger and events

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NEW_COUNTERS = (
    "requested",
    "accepted",
    "human_open",
    "unique_human_open",
    "machine_open",
    "unique_machine_open",
    "human_click",
    "unique_human_click",
    "machine_click",
    "unique_machine_click",
)
_deliveries = sa.table("deliveries", sa.column("run_id"), sa.column("address"), sa.column("state"))
_event_counts = sa.table(
    "event_counts",
    sa.column("task_id"),
    sa.column("day", sa.Date()),
    sa.column("recipient_domain"),
    sa.column("counter"),
    sa.column("account_id"),
    sa.column("event_count"),
)
# (task id, local day, recipient domain, counter, account id) → count
Tally = Counter[tuple[int, date, str, str, int]]


def upgrade() -> None:
    with op.batch_alter_table("event_counts") as batch:
        batch.alter_column("counter", existing_type=sa.String(16), type_=sa.String(24), existing_nullable=False)
    connection = op.get_bind()
    zones = {account_id: ZoneInfo(name) for account_id, name in connection.execute(sa.text(_ZONES))}
    tally: Tally = Counter()
    _count_ledger(connection, zones, tally)
    _count_origins(connection, zones, tally)
    rows = [
        {
            "task_id": task,
            "day": day,
            "recipient_domain": domain,
            "counter": name,
            "account_id": account,
            "event_count": n,
        }
        for (task, day, domain, name, account), n in sorted(tally.items())
        if n
    ]
    for start in range(0, len(rows), 1000):
        connection.execute(sa.insert(_event_counts), rows[start : start + 1000])


def downgrade() -> None:
    op.execute(sa.delete(_event_counts).where(_event_counts.c.counter.in_(NEW_COUNTERS)))
    with op.batch_alter_table("event_counts") as batch:
        batch.alter_column("counter", existing_type=sa.String(24), type_=sa.String(16), existing_nullable=False)


_ZONES = "SELECT id, time_zone FROM accounts"
_RUNS = "SELECT id, task_id, account_id, created_at FROM runs"
_OPENS_AND_CLICKS = (
    "SELECT id, task_id, account_id, delivery_id, address, type, machine, occurred_at FROM events"
    " WHERE type IN ('open', 'click') AND id > :after ORDER BY id LIMIT 5000"
)


def _count_ledger(connection: sa.Connection, zones: dict[int, ZoneInfo], tally: Tally) -> None:
    """Each run's ledger rows per recipient domain, on the local day the run was requested (as the reports
    counted them by scanning)."""
    runs = {
        run_id: (task_id, account_id, _local_day(created_at, zones[account_id]))
        for run_id, task_id, account_id, created_at in connection.execute(sa.text(_RUNS))
    }
    delivery = _deliveries
    domain = address_domain(delivery.c.address, connection.dialect.name)
    accepted = sa.func.sum(sa.case((delivery.c.state != "skipped", 1), else_=0))
    per_run = sa.select(delivery.c.run_id, domain, sa.func.count(), accepted).group_by(delivery.c.run_id, domain)
    for run_id, raw_domain, requested, taken in connection.execute(per_run):
        task_id, account_id, day = runs[run_id]
        tally[(task_id, day, raw_domain.lower(), "requested", account_id)] += requested
        tally[(task_id, day, raw_domain.lower(), "accepted", account_id)] += int(taken or 0)


def _count_origins(connection: sa.Connection, zones: dict[int, ZoneInfo], tally: Tally) -> None:
    """Opens and clicks by people and by machines, each delivery's first of a kind and origin counted unique."""
    seen: set[tuple[int, str, str]] = set()
    # Read in pages by id, not through a server-side cursor: there may be millions of them, and an open cursor
    # would keep the events table in use for the rest of the transaction, where a later revision may drop one
    # of its indexes.
    after = 0
    while page := connection.execute(sa.text(_OPENS_AND_CLICKS), {"after": after}).all():
        for event_id, task_id, account_id, delivery_id, address, kind, machine, occurred_at in page:
            after = event_id
            origin = "machine" if machine else "human"
            key = (task_id, _local_day(occurred_at, zones[account_id]), recipient_domain(address))
            tally[(*key, f"{origin}_{kind}", account_id)] += 1
            if (delivery_id, kind, origin) not in seen:
                seen.add((delivery_id, kind, origin))
                tally[(*key, f"unique_{origin}_{kind}", account_id)] += 1


# The two rules below are copies of `events.recipient_domain` and `ledger_counts.address_domain` frozen as they
# were at this revision, so that this migration keeps filling the counters the same way whatever those modules
# become later (a migration imports no project code; this frozen copy is the accepted exception to "one rule,
# one place").
def recipient_domain(address: str) -> str:
    """The domain counters are kept by: what follows the address's last "@", in lower case."""
    return address.rpartition("@")[2].lower()


def address_domain(address: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[Any]:
    """What follows an address's last "@" (all of it when it has none), before it is lower-cased in Python."""
    if dialect == "postgresql":
        return sa.func.regexp_replace(address, "^.*@", "")
    # SQLite has no regular expressions: trimming every trailing character that is not an "@" leaves the part
    # up to the last "@", and removing that part leaves the domain.
    return sa.func.replace(address, sa.func.rtrim(address, sa.func.replace(address, "@", "")), "")


def _local_day(stored: Any, zone: ZoneInfo) -> date:
    """The account-local day of a stored naive UTC time (SQLite hands it back as text)."""
    moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(stored)
    return moment.replace(tzinfo=UTC).astimezone(zone).date()
