"""The `mailyard` command in-process through Typer's runner, on a fresh database (SQLite and PostgreSQL).

Commands run their own event loop, so these tests are synchronous; set-up that needs the services runs on a
private loop through `run_outside_loop`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import Result
from tests.conftest import run_outside_loop
from typer.testing import CliRunner

from mailyard import bootstrap
from mailyard.cli.main import app
from mailyard.settings import Settings

T = TypeVar("T")


@dataclass
class Cli:
    """Runs `mailyard ...` with the test's settings in the environment."""

    env: dict[str, str]
    settings: Settings

    def __call__(self, *args: str, succeeds: bool = True) -> Result:
        result = CliRunner().invoke(app, list(args), env=self.env)
        if succeeds:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    def with_services(self, work: Callable[[bootstrap.Runtime], Awaitable[T]]) -> T:
        """Run `work` against an open runtime over the same database."""

        async def opened() -> T:
            runtime = await bootstrap.open_runtime(self.settings)
            try:
                return await work(runtime)
            finally:
                await runtime.close()

        return run_outside_loop(opened)


@pytest.fixture
def cli_settings() -> dict[str, str]:
    """Extra MAILYARD_* settings of a module's commands."""
    return {}


@pytest.fixture
def cli(database_url: str, tmp_path: Path, cli_settings: dict[str, str]) -> Cli:
    env = {
        "MAILYARD_DATA_DIR": str(tmp_path / "data"),
        "MAILYARD_DATABASE_URL": database_url,
        "MAILYARD_IDENTITY_VERIFICATION": "trust",
        **cli_settings,
    }
    return Cli(env=env, settings=Settings(**{name.removeprefix("MAILYARD_").lower(): v for name, v in env.items()}))
