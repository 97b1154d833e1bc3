"""Alembic environment: runs migrations over the async engine handed in by `store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from mailyard.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `mailyard db upgrade`")
_run(connection)
