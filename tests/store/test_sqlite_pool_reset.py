"""SQLite connections go back to the pool rolled back only when a transaction is still open on them: after a
commit, SQLAlchemy's own ROLLBACK would be one more call into aiosqlite's thread on every transaction."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.pool import PoolResetState

from mailyard.store.engine import _roll_back_if_open, create_engine

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One entry per ROLLBACK the driver is asked for."""
    calls: list[None] = []
    original = aiosqlite.Connection.rollback

    async def counted(self: aiosqlite.Connection) -> None:
        calls.append(None)
        await original(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counted)
    return calls


async def test_a_committed_transaction_is_not_rolled_back_again(tmp_path: Path, rollbacks: list[None]) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        rollbacks.clear()  # SQLAlchemy rolls back a new connection once, as it first connects
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        assert rollbacks == []
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
        assert rollbacks == [None]  # the read-only connection's transaction, ended by SQLAlchemy itself
    finally:
        await engine.dispose()


async def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_reused(
    tmp_path: Path, rollbacks: list[None]
) -> None:
    """A transaction begun behind SQLAlchemy's back (as the driver inserts and BEGIN IMMEDIATE do) and left
    open: its writes are undone and its write lock freed when the connection goes back to the pool."""
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        rollbacks.clear()
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            await driver.execute("BEGIN IMMEDIATE")
            await driver.execute("INSERT INTO t VALUES (1)")
            assert driver.in_transaction
        assert len(rollbacks) == 1
        async with engine.begin() as connection:  # takes the write lock: it was freed
            await connection.execute(text("INSERT INTO t VALUES (2)"))
            assert (await connection.execute(text("SELECT x FROM t"))).scalars().all() == [2]
    finally:
        await engine.dispose()


async def test_a_closed_connection_is_left_alone(tmp_path: Path) -> None:
    """Nothing to roll back on a connection aiosqlite has closed already: no call, no error."""
    closed = await aiosqlite.connect(tmp_path / "closed.db")
    await closed.close()
    adapted = SimpleNamespace(driver_connection=closed, rollback=lambda: pytest.fail("rolled back"))
    _roll_back_if_open(
        adapted, None, PoolResetState(transaction_was_reset=False, terminate_only=False, asyncio_safe=True)
    )
