"""`mailyard accounts`: account settings from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from mailyard.cli import context
from mailyard.domain import accounts

app = typer.Typer(help="Accounts: time zone and daily quota.", no_args_is_help=True)


@app.command("set")
def set_(
    account: Annotated[str | None, typer.Option(help="Account name (optional when there is only one).")] = None,
    daily_quota: Annotated[int | None, typer.Option(min=0, help="Messages per day in the account's time zone.")] = None,
    unlimited: Annotated[bool, typer.Option("--unlimited", help="Remove the daily quota.")] = False,
    time_zone: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Asia/Shanghai.")] = None,
) -> None:
    """Change an account's daily quota or time zone."""

    async def work() -> accounts.Account:
        async with context.opened_runtime() as runtime:
            access = runtime.services.access
            principal = await access.operator(account)
            quota: int | None = None if unlimited else daily_quota
            given = unlimited or daily_quota is not None
            return await access.update_account(principal, time_zone=time_zone, daily_quota=quota if given else ...)

    changed = context.run(work)
    quota_text = "unlimited" if changed.daily_quota is None else str(changed.daily_quota)
    context.console.print(f"account {changed.name}: time zone {changed.time_zone}, daily quota {quota_text}")
