"""`mailyard db`: the database schema."""

from __future__ import annotations

import typer

from mailyard import bootstrap
from mailyard.cli import context

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to date (serve and worker do this by themselves)."""
    settings = context.settings()
    context.run(lambda: bootstrap.upgrade_database(settings))
    context.console.print("database schema is up to date")
