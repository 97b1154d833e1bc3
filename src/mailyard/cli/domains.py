"""`mailyard domains`: sending domains and the DNS records to publish for them."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import typer

from mailyard.cli import client, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(help="Sending domains: add, verify through DNS, delete.", no_args_is_help=True)
Domain = Annotated[str, typer.Argument(help="The domain, e.g. example.com.")]
DOMAIN_COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Domain", field("domain")),
    ("Verified", field("verified")),
    ("Created", field("created_at")),
]
RECORD_COLUMNS: list[output.Column] = [
    ("Type", field("type")),
    ("Name", field("name")),
    ("Value to publish", field("expected_value")),
    ("Found", field("verified")),
]


def _path(domain: str) -> str:
    return f"/domains/{quote(domain, safe='')}"


def _show(found: dict[str, Any], as_json: bool) -> None:
    if as_json:
        output.print_json(found)
        return
    output.print_fields(found, False, ["domain", "verified", "created_at"])
    output.print_table("DNS records to publish", RECORD_COLUMNS, found["dns_records"])


@app.command("add")
def add(domain: Domain, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """Add a sending domain; prints the DNS records to publish for it."""
    _show(client.request(account, "POST", "/domains", json={"domain": domain}), as_json)


@app.command("list")
def list_domains(
    account: AccountOption = None, limit: LimitOption = 20, offset: OffsetOption = 0, as_json: JsonOption = False
) -> None:
    """Show the account's sending domains."""
    page = client.request(account, "GET", "/domains", params={"limit": limit, "offset": offset})
    output.print_page("Sending domains", output.paged(page, limit, offset), DOMAIN_COLUMNS, as_json)


@app.command("show")
def show(domain: Domain, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """Show a domain and its DNS records as last checked."""
    _show(client.request(account, "GET", _path(domain)), as_json)


@app.command("verify")
def verify(domain: Domain, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """Check the domain's DNS records now."""
    _show(client.request(account, "POST", f"{_path(domain)}/verify"), as_json)


@app.command("delete")
def delete(domain: Domain, account: AccountOption = None) -> None:
    """Delete a sending domain (refused while senders or tasks use it)."""
    client.request(account, "DELETE", _path(domain))
    output.done(f"domain {domain} deleted")
