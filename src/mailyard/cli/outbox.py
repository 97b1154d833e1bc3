"""`mailyard outbox`: the messages kept instead of sent when no relay is configured."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mailyard.cli import client, context, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

JSON = "application/json"
app = typer.Typer(help="The built-in outbox (no relay configured): what would have been sent.", no_args_is_help=True)
COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Task", field("task_id")),
    ("To", field("recipient")),
    ("Message-ID", field("message_id")),
    ("Size", field("size")),
    ("Kept", field("created_at")),
]


@app.command("list")
def list_messages(
    task: Annotated[int | None, typer.Option(min=1, help="Only this task's messages.")] = None,
    account: AccountOption = None,
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show kept messages, newest first."""
    query = output.page_query(limit, offset, task_id=task)
    output.print_page("Outbox", client.request(account, "GET", "/outbox", params=query), COLUMNS, as_json)


@app.command("show")
def show(
    message_id: Annotated[int, typer.Argument(min=1, help="Outbox message id.")],
    raw: Annotated[bool, typer.Option("--raw", help="Print the whole message exactly as it would be sent.")] = False,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a kept message's headers (with --raw, the whole message; with --json, its record)."""
    if as_json and raw:
        context.fail("--raw and --json exclude each other")
    if as_json:
        output.print_json(client.request(account, "GET", f"/outbox/{message_id}", headers={"Accept": JSON}))
        return
    content: bytes = client.request(account, "GET", f"/outbox/{message_id}")
    if raw:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    head, _separator, _body = content.partition(b"\r\n\r\n")
    output.done(head.decode("utf-8", errors="replace").replace("\r\n", "\n"))
