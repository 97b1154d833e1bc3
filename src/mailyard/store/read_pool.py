"""PostgreSQL connections for the hot listing reads: planned once, lent without ceremony.

The listing statements (`task_listing`) are written so that PostgreSQL's generic plan is the right plan for
any values; these connections ask for it (``plan_cache_mode = force_generic_plan``), so each statement is
planned once per connection and then only executed. Planning it afresh for every request cost more than
running it. Other statements keep the main pool, where PostgreSQL picks plans value by value.

A listing is one read statement outside any transaction, so a connection needs no reset between borrowers
beyond what asyncpg always does (rolling back a transaction left open): its default reset query, a round trip
per request, is skipped.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

READ_POOL_SIZE = 10
_GENERIC_PLANS = {"plan_cache_mode": "force_generic_plan"}


async def open_read_pool(engine: AsyncEngine, *, size: int = READ_POOL_SIZE) -> asyncpg.Pool | None:
    """A pool over the engine's PostgreSQL database, or None for another database."""
    if engine.dialect.driver != "asyncpg":
        return None
    _, options = engine.dialect.create_connect_args(engine.url)
    server_settings = {**options.pop("server_settings", {}), **_GENERIC_PLANS}
    pool: asyncpg.Pool = await asyncpg.create_pool(
        **options, min_size=0, max_size=size, server_settings=server_settings, reset=_nothing_more
    )
    return pool


async def _nothing_more(_connection: Any) -> None:
    return None
