"""The `mailyard` command in-process through Typer's runner, on a fresh database (SQLite and PostgreSQL).

Commands run their own event loop, so these tests are synchronous; set-up that needs the services runs on a
private loop through `run_outside_loop`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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
    """Runs `mailyard ...` in-process with `env` as its environment (the test's settings, when it has them)."""

    env: dict[str, str]
    settings: Settings | None = None

    def __call__(self, *args: str, succeeds: bool = True) -> Result:
        result = CliRunner().invoke(app, list(args), env=self.env)
        if succeeds:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    def output(self, *args: str, code: int = 0, stdin: str | None = None) -> str:
        """What the command printed, once it exited with `code`; an unexpected exception fails the test."""
        result = CliRunner().invoke(app, list(args), input=stdin, env=self.env, catch_exceptions=False)
        assert result.exit_code == code, f"{args}: {result.output}"
        return result.output

    def json(self, *args: str) -> Any:
        return json.loads(self.output(*args, "--json"))

    def with_services(self, work: Callable[[bootstrap.Runtime], Awaitable[T]]) -> T:
        """Run `work` against an open runtime over the same database."""
        settings = self.settings
        assert settings is not None, "this Cli was made without settings"

        async def opened() -> T:
            runtime = await bootstrap.open_runtime(settings)
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


@pytest.fixture
def local(tmp_path: Path) -> Cli:
    """The CLI on a database of its own, with account acme and its admin alice (as `keys create` makes them)."""
    cli = Cli({"MAILYARD_DATA_DIR": str(tmp_path / "data"), "MAILYARD_IDENTITY_VERIFICATION": "trust"})
    cli.output("keys", "create", "--account", "acme", "--user", "alice", "--json")
    return cli
