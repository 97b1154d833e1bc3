"""The Alembic migrations produce exactly the schema that store/tables.py describes, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mailyard.store import engine as engines
from mailyard.store import migrate, tables


async def test_migrations_build_the_declared_schema(database_url: str) -> None:
    engine = engines.create_engine(database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # idempotent
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), tables.metadata)
            )
    finally:
        await engine.dispose()
    assert differences == []
