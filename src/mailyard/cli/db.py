"""`mailyard db`: the database schema."""

from __future__ import annotations

import typer

from mailyard import bootstrap
from mailyard.cli import context

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("purge")
def purge() -> None:
    """Delete what MAILYARD_RETAIN_* no longer keeps, now (workers also do it in the background)."""
    context.require_local("db purge")

    async def work() -> dict[str, int]:
        async with context.opened_runtime() as runtime:
            return {str(kind): count for kind, count in (await runtime.services.retention.purge()).items()}

    removed = context.run(work)
    if not removed:
        context.console.print(
            "nothing to purge: set MAILYARD_RETAIN_OUTBOX_DAYS, MAILYARD_RETAIN_DELIVERIES_DAYS or"
            " MAILYARD_RETAIN_EVENTS_DAYS"
        )
    for kind, count in removed.items():
        context.console.print(f"{kind}: {count} purged")


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to date (serve and worker do this by themselves)."""
    context.require_local("db upgrade")
    settings = context.settings()
    context.run(lambda: bootstrap.upgrade_database(settings))
    context.console.print("database schema is up to date")
