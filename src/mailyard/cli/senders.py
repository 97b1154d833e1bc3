"""`mailyard senders`: sender addresses on the account's verified domains."""

from __future__ import annotations

import sys
from typing import Annotated
from urllib.parse import quote

import typer

from mailyard.cli import client, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(help="Sender addresses.", no_args_is_help=True)
Address = Annotated[str, typer.Argument(help="The sender address, e.g. news@example.com.")]
COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Address", field("address")),
    ("Display name", field("display_name")),
    ("Created", field("created_at")),
]


@app.command("add")
def add(
    address: Address,
    name: Annotated[str, typer.Option("--name", help="Display name shown to recipients.")] = "",
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a sender address (its domain must be verified)."""
    created = client.request(account, "POST", "/senders", json={"address": address, "display_name": name})
    output.print_fields(created, as_json)


@app.command("list")
def list_senders(
    account: AccountOption = None, limit: LimitOption = 20, offset: OffsetOption = 0, as_json: JsonOption = False
) -> None:
    """Show the account's sender addresses."""
    answer = client.request(account, "GET", "/senders")
    output.print_page("Sender addresses", output.paged(answer, limit, offset), COLUMNS, as_json)


@app.command("delete")
def delete(address: Address, account: AccountOption = None) -> None:
    """Delete a sender address (refused while tasks send as it)."""
    client.request(account, "DELETE", f"/senders/{quote(address, safe='@')}")
    output.done(f"sender {address} deleted")


@app.command("smtp-password")
def smtp_password(
    address: Address,
    account: AccountOption = None,
    stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Set the password the address signs in to SMTP submission with (asked for, or read with --password-stdin)."""
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("SMTP password", hide_input=True, confirmation_prompt=True)
    path = f"/senders/{quote(address, safe='@')}/smtp-password"
    client.request(account, "PUT", path, json={"password": password})
    output.done(f"SMTP password of {address} set")
