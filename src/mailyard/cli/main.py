"""The `mailyard` command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

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

# Click's UsageError (Typer's own copy of Click since Typer 0.20): the parent of typer.BadParameter.
USAGE_ERROR: Any = typer.BadParameter.__mro__[1]


@contextmanager
def _usage_errors_in_one_line() -> Iterator[None]:
    """A wrong argument or option is one line on stderr, like every other error, with click's exit code 2."""
    try:
        yield
    except USAGE_ERROR as error:
        if type(error).__name__ == "NoArgsIsHelpError":
            raise  # a bare group prints its help
        command = error.ctx.command_path if error.ctx is not None else "mailyard"
        context.fail(f"{error.format_message()} (see `{command} --help`)", code=error.exit_code)


class OneLineErrors(TyperGroup):
    """The top-level group: usage errors anywhere below it come out as `error: ...`."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        with _usage_errors_in_one_line():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _usage_errors_in_one_line():
            return super().invoke(ctx)


app = typer.Typer(
    cls=OneLineErrors,
    help="Mailyard: a self-hosted mail task service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
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
