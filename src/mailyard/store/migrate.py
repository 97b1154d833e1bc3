"""Bring a database schema up to date with Alembic, from inside the application."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


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
    """Apply every migration not yet applied; safe to call on every start.

    `smtp_password_rehash` turns an SMTP password stored encrypted (before 0007) into a hash, or None when
    it cannot be opened; it needs the master key, which only the caller has.
    """
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync, smtp_password_rehash), revision))
