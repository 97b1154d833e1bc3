"""`mailyard accounts`: account settings from the command line."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mailyard.cli import client, output
from mailyard.cli.output import JsonOption

app = typer.Typer(help="Accounts: time zone and daily quota.", no_args_is_help=True)


@app.command("set")
def set_(
    account: Annotated[
        str | None, typer.Option(help="Account name (optional when there is only one; with --url: the key's).")
    ] = None,
    daily_quota: Annotated[int | None, typer.Option(min=0, help="Messages per day in the account's time zone.")] = None,
    unlimited: Annotated[bool, typer.Option("--unlimited", help="Remove the daily quota.")] = False,
    time_zone: Annotated[str | None, typer.Option(help="IANA time zone, e.g. Asia/Shanghai.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Change an account's daily quota or time zone (an admin's; through the API, locally or with --url)."""
    change: dict[str, Any] = {}
    if time_zone is not None:
        change["time_zone"] = time_zone
    if unlimited or daily_quota is not None:
        change["daily_quota"] = None if unlimited else daily_quota
    changed = client.request(account, "PATCH", "/account", json=change)
    if as_json:
        output.print_json(changed)
        return
    quota_text = "unlimited" if changed["daily_quota"] is None else str(changed["daily_quota"])
    output.done(f"account {changed['name']}: time zone {changed['time_zone']}, daily quota {quota_text}")
