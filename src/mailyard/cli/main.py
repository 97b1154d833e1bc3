"""The `mailyard` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailyard.cli import accounts, context, db, keys, lists, relays, serve, tasks

app = typer.Typer(
    help="Mailyard: a self-hosted mail task service.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(accounts.app, name="accounts")
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(tasks.app, name="tasks")
app.add_typer(lists.app, name="lists")
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.command("relays")(relays.relays)


@app.callback()
def main(
    config: Annotated[
        Path | None, typer.Option("--config", help="A file of MAILYARD_*=value lines (the environment wins).")
    ] = None,
) -> None:
    context.state.config_file = config


def run() -> None:
    app()
