"""Bring a database schema up to date with Alembic, from inside the application."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed 64-bit number, the same in every Mailyard process: "mailyard" in ASCII.
MIGRATION_LOCK = int.from_bytes(b"mailyard", "big")


def alembic_config(
    connection: Connection | None = None, smtp_password_rehash: Callable[[str], str | None] | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["smtp_password_rehash"] = smtp_password_rehash
    return config


async def upgrade(
    engine: AsyncEngine,
    revision: str = "head",
    *,
    smtp_password_rehash: Callable[[str], str | None] | None = None,
) -> None:
    """Apply every migration not yet applied; safe to call on every start, from many processes at once.

    `smtp_password_rehash` turns an SMTP password stored encrypted (before 0007) into a hash, or None when
    it cannot be opened; it needs the master key, which only the caller has. On PostgreSQL the processes
    starting together take turns on an advisory lock held until the migrating transaction ends, so the second
    one finds the schema already up to date (SQLite's BEGIN IMMEDIATE, see engine.py, already serialises them).
    """
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync, smtp_password_rehash), revision))


async def is_current(engine: AsyncEngine) -> bool:
    """True when the database answers and its schema is at the newest revision this code knows."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with engine.connect() as connection:
        applied = await connection.run_sync(lambda sync: set(MigrationContext.configure(sync).get_current_heads()))
    return applied == heads
