"""The `mailyard` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mailyard import __version__
from mailyard.cli import (
    accounts,
    context,
    db,
    domains,
    inbound,
    keys,
    lists,
    outbox,
    relays,
    senders,
    serve,
    stats,
    suppressions,
    tasks,
    templates,
    users,
    webhooks,
)

app = typer.Typer(
    help="Mailyard: a self-hosted mail task service.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(accounts.app, name="accounts")
app.add_typer(db.app, name="db")
app.add_typer(keys.app, name="keys")
app.add_typer(tasks.app, name="tasks")
app.add_typer(lists.app, name="lists")
app.add_typer(domains.app, name="domains")
app.add_typer(senders.app, name="senders")
app.add_typer(templates.app, name="templates")
app.add_typer(outbox.app, name="outbox")
app.add_typer(suppressions.app, name="suppressions")
app.add_typer(users.app, name="users")
app.add_typer(webhooks.app, name="webhooks")
app.command("stats")(stats.stats)
app.command("serve")(serve.serve)
app.command("worker")(serve.worker)
app.command("relays")(relays.relays)
app.command("inbound")(inbound.inbound)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mailyard {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    config: Annotated[
        Path | None, typer.Option("--config", help="A file of MAILYARD_*=value lines (the environment wins).")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="Steer a remote server through its API (or MAILYARD_URL).")
    ] = None,
    secret_id: Annotated[str | None, typer.Option("--secret-id", help="Key for --url (or MAILYARD_SECRET_ID).")] = None,
    secret_key: Annotated[
        str | None, typer.Option("--secret-key", help="Key secret for --url (or MAILYARD_SECRET_KEY).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    context.state.config_file = config
    context.state.url, context.state.secret_id, context.state.secret_key = url, secret_id, secret_key


def run() -> None:
    app()
