"""Several processes started together on an empty PostgreSQL database all bring the schema up to date
without tripping over each other (an advisory lock serialises the migrations)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from mailyard.store import engine as engines
from mailyard.store import migrate

pytestmark = [pytest.mark.postgres, pytest.mark.acceptance, pytest.mark.timeout(120)]
PROCESSES = 5


@pytest.mark.parametrize("database_kind", ["postgres"])
def test_processes_starting_together_migrate_once(empty_database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "MAILYARD_DATABASE_URL": empty_database_url, "MAILYARD_DATA_DIR": str(tmp_path / "data")}
    starts = [
        subprocess.Popen(
            [sys.executable, "-m", "mailyard", "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [start.communicate(timeout=90)[0].decode(errors="replace") for start in starts]
    assert [start.returncode for start in starts] == [0] * PROCESSES, outputs

    assert asyncio.run(_schema_state(empty_database_url)) == (True, 1)


async def _schema_state(url: str) -> tuple[bool, int]:
    """Whether the schema is current, and how many rows alembic_version holds."""
    engine = engines.create_engine(url)
    try:
        async with engine.connect() as connection:
            versions = (await connection.execute(text("SELECT count(*) FROM alembic_version"))).scalar_one()
        return await migrate.is_current(engine), int(versions)
    finally:
        await engine.dispose()
