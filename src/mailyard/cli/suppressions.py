"""`mailyard suppressions`: addresses Mailyard will not send to, and why."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

import typer

from mailyard.cli import client, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(
    help="Suppressed addresses: bounces, unsubscribes, complaints and your own list.", no_args_is_help=True
)
Reason = Literal["hard_bounce", "unsubscribe", "custom"]
COLUMNS: list[output.Column] = [
    ("Address", field("address")),
    ("Reason", field("reason")),
    ("Until", field("expires_at")),
    ("Since", field("created_at")),
]


@app.command("list")
def list_suppressions(
    address: Annotated[str | None, typer.Option(help="Part of the address.")] = None,
    reason: Annotated[Reason | None, typer.Option(help="Only this reason.")] = None,
    account: AccountOption = None,
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show suppressed addresses, newest first."""
    query = output.page_query(limit, offset, address=address, reason=reason)
    page = client.request(account, "GET", "/suppressions", params=query)
    output.print_page("Suppressions", page, COLUMNS, as_json)


@app.command("add")
def add(
    addresses: Annotated[list[str], typer.Argument(help="Addresses to stop sending to.")],
    until: Annotated[str | None, typer.Option(help="First day they may receive mail again (YYYY-MM-DD).")] = None,
    account: AccountOption = None,
) -> None:
    """Put addresses on the account's own suppression list."""
    body: dict[str, Any] = {"addresses": addresses}
    if until:
        body["expires_on"] = date.fromisoformat(until).isoformat()
    report = client.request(account, "POST", "/suppressions", json=body)
    output.done(f"{report['valid']} suppressed, {report['invalid']} not valid addresses")


@app.command("remove")
def remove(
    address: Annotated[str, typer.Argument(help="The address to send to again.")],
    reason: Annotated[Reason, typer.Option(help="Which suppression to lift.")] = "custom",
    account: AccountOption = None,
) -> None:
    """Let an address receive mail again."""
    client.request(account, "DELETE", f"/suppressions/{quote(address, safe='@')}", params={"reason": reason})
    output.done(f"{address} is no longer suppressed ({reason})")
