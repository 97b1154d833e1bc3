"""The retention purge finds old events and outbox copies through their (time, id) indexes, on SQLite and
PostgreSQL, so a round with nothing old enough reads no table; and it purges exactly the oldest ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mailyard.domain.retention import RetainedKind
from mailyard.store import engine as engines
from mailyard.store import tables
from mailyard.store.retention import SqlRetention, purgeable

pytestmark = pytest.mark.timeout(60)
START = datetime(2026, 3, 1, tzinfo=UTC)
ROWS = 3000
INDEXES = {RetainedKind.EVENTS: "ix_events_occurred_at_id", RetainedKind.OUTBOX: "ix_outbox_messages_created_at_id"}


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A database holding ROWS events and outbox copies, one a minute from START, newest with the lowest ids."""
    engine = engines.create_engine(database_url)
    minutes = [START + timedelta(minutes=ROWS - 1 - index) for index in range(ROWS)]
    event = {"account_id": 1, "task_id": 1, "address": "ida@example.org", "type": "delivered"}
    copy = {"account_id": 1, "envelope_from": "a@example.com", "recipient": "ida@example.org", "content": b"x"}
    async with engine.begin() as connection:
        await connection.execute(
            insert(tables.events),
            [{**event, "delivery_id": index, "occurred_at": at} for index, at in enumerate(minutes)],
        )
        await connection.execute(
            insert(tables.outbox_messages),
            [{**copy, "message_id": f"<{index}@x>", "created_at": at} for index, at in enumerate(minutes)],
        )
        await connection.execute(text("ANALYZE"))
    yield engine
    await engine.dispose()


async def _plan(connection: AsyncConnection, kind: RetainedKind, before: datetime) -> str:
    statement = purgeable(kind, before).oldest(500)
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN" if connection.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    rows = await connection.execute(text(f"{explain} {sql}"))
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


@pytest.mark.parametrize("kind", list(INDEXES))
async def test_a_purge_round_reads_the_age_index_whether_or_not_anything_is_old(
    engine: AsyncEngine, kind: RetainedKind
) -> None:
    async with engine.connect() as connection:
        for before in (START - timedelta(days=1), START + timedelta(minutes=100)):
            plan = await _plan(connection, kind, before)
            assert INDEXES[kind] in plan, plan
            assert "Seq Scan" not in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("kind", list(INDEXES))
async def test_a_purge_removes_exactly_the_oldest_records_before_the_limit(
    engine: AsyncEngine, kind: RetainedKind
) -> None:
    table = purgeable(kind, START).table
    time = table.c.occurred_at if kind is RetainedKind.EVENTS else table.c.created_at
    before = START + timedelta(minutes=100)  # the 100 oldest rows are older
    async with engine.begin() as connection:
        retention = SqlRetention(connection)
        assert await retention.purge(kind, START, limit=50) == 0
        assert await retention.purge(kind, before, limit=60) == 60
        oldest_left = (await connection.execute(select(func.min(time)))).scalar_one()
        assert oldest_left == START + timedelta(minutes=60)
        assert await retention.purge(kind, before, limit=60) == 40
        assert await retention.purge(kind, before, limit=60) == 0
        assert (await connection.execute(select(func.count()).select_from(table))).scalar_one() == ROWS - 100
        assert (await connection.execute(select(func.min(time)))).scalar_one() == before
