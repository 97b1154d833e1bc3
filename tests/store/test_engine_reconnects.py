"""Pooled PostgreSQL connections cut while idle (a database restart, a firewall) are replaced before use."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mailyard.store.engine import create_engine

pytestmark = [pytest.mark.timeout(60), pytest.mark.postgres]


@pytest.fixture
def database_kind() -> str:
    return "postgres"


async def cut_the_pooled_connection(database_url: str, ping_after_idle: float) -> int:
    """Open an engine's one pooled connection, terminate it from outside, wait; its next query's answer."""
    engine = create_engine(database_url, pool_size=1, ping_after_idle=ping_after_idle)
    outsider = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with outsider.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await asyncio.sleep(0.3)
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT 1"))).scalar_one())
    finally:
        await engine.dispose()
        await outsider.dispose()


async def test_a_connection_cut_while_idle_is_replaced(database_url: str) -> None:
    assert await cut_the_pooled_connection(database_url, ping_after_idle=0.2) == 1


async def test_a_connection_in_steady_use_is_not_pinged(database_url: str) -> None:
    """The other side of the trade: within the idle time nothing checks the connection first."""
    with pytest.raises(DBAPIError):
        await cut_the_pooled_connection(database_url, ping_after_idle=60)
