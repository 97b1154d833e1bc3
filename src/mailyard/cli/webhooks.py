"""`mailyard webhooks`: where the account's events are posted (Tencent's callback format, signed)."""

from __future__ import annotations

from typing import Annotated

import typer

from mailyard.cli import client, context, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(help="Webhook endpoints: add, list, test, see what they received, delete.", no_args_is_help=True)
EndpointId = Annotated[int, typer.Argument(min=1, help="Webhook endpoint id.")]
COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("URL", field("url")),
    ("Events", lambda item: ", ".join(item["events"])),
    ("Sender", field("sender")),
    ("Enabled", field("enabled")),
]
ATTEMPT_COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Event", field("event")),
    ("State", field("state")),
    ("Attempts", field("attempts")),
    ("Last status", field("last_status")),
    ("Updated", field("updated_at")),
]


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where to post, http(s)://...")],
    event: Annotated[
        list[str] | None, typer.Option("--event", help="An event type to send (repeatable; default: every event).")
    ] = None,
    custom: Annotated[str | None, typer.Option(help="Sent as X-Tencentcloudses-Cb-Custom in every body.")] = None,
    sender: Annotated[str | None, typer.Option(help="Only events of mail from this sender address.")] = None,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register an endpoint; its signing secret is shown once."""
    created = client.request(
        account, "POST", "/webhooks", json={"url": url, "events": event or None, "custom": custom, "sender": sender}
    )
    if as_json:
        output.print_json(created)
        return
    output.done(f"webhook {created['id']} posts {', '.join(created['events'])} to {created['url']}")
    output.done(f"secret {created['secret']}")
    context.console.print("[yellow]Store the secret now: it cannot be shown again.[/yellow]")


@app.command("list")
def list_webhooks(
    account: AccountOption = None, limit: LimitOption = 20, offset: OffsetOption = 0, as_json: JsonOption = False
) -> None:
    """Show the account's webhook endpoints."""
    answer = client.request(account, "GET", "/webhooks")
    output.print_page("Webhooks", output.paged(answer, limit, offset), COLUMNS, as_json)


@app.command("test")
def test(endpoint_id: EndpointId, account: AccountOption = None) -> None:
    """Queue a `delivered` event for test@example.com to an endpoint."""
    client.request(account, "POST", f"/webhooks/{endpoint_id}/test")
    output.done(f"a test event is on its way to webhook {endpoint_id}")


@app.command("deliveries")
def deliveries(
    endpoint_id: EndpointId,
    account: AccountOption = None,
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """What was posted to an endpoint, newest first, with the last answer's status."""
    page = client.request(
        account, "GET", f"/webhooks/{endpoint_id}/deliveries", params=output.page_query(limit, offset)
    )
    output.print_page(f"Webhook {endpoint_id}", page, ATTEMPT_COLUMNS, as_json)


@app.command("delete")
def delete(endpoint_id: EndpointId, account: AccountOption = None) -> None:
    """Delete an endpoint; what was queued for it is dropped."""
    client.request(account, "DELETE", f"/webhooks/{endpoint_id}")
    output.done(f"webhook {endpoint_id} deleted")
