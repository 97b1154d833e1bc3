"""`mailyard lists`: recipient lists, imported from and exported to CSV."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TransferSpeedColumn

from mailyard.cli import client, context, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(help="Recipient lists: create, import CSV, export CSV, delete.", no_args_is_help=True)
ListId = Annotated[int, typer.Argument(min=1, help="Recipient list id.")]
CHUNK_BYTES = 1 << 20
LIST_COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Name", field("name")),
    ("Total", field("total_count")),
    ("Valid", field("valid_count")),
    ("Invalid", field("invalid_count")),
    ("Created", field("created_at")),
]
RECIPIENT_COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Address", field("address")),
    ("Valid", field("valid")),
    ("Reason", field("reason")),
    ("Variables", field("variables")),
]


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="List name, unique in the account.")],
    description: Annotated[str, typer.Option(help="What the list is for.")] = "",
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an empty recipient list."""
    created = client.request(account, "POST", "/lists", json={"name": name, "description": description})
    output.print_fields(created, as_json)


@app.command("list")
def list_lists(
    keyword: Annotated[str | None, typer.Option(help="Part of the name.")] = None,
    account: AccountOption = None,
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show the account's recipient lists."""
    query = output.page_query(limit, offset, keyword=keyword)
    output.print_page("Recipient lists", client.request(account, "GET", "/lists", params=query), LIST_COLUMNS, as_json)


@app.command("show")
def show(
    list_id: ListId,
    address: Annotated[str | None, typer.Option(help="Only recipients whose address contains this.")] = None,
    invalid: Annotated[bool, typer.Option("--invalid", help="Only invalid recipients.")] = False,
    account: AccountOption = None,
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show a list and a page of its recipients."""
    query = output.page_query(limit, offset, address=address, valid="false" if invalid else None)
    found, page = client.record_and_page(account, f"/lists/{list_id}", f"/lists/{list_id}/recipients", query)
    if as_json:
        output.print_json({"list": found, "recipients": page})
        return
    output.print_fields(found, False)
    output.print_page("Recipients", page, RECIPIENT_COLUMNS, False)


@app.command("import")
def import_csv(
    list_id: ListId,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV with an email column.")],
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import recipients from CSV in one streamed upload, all rows or none (an `email` or `address` column;
    other columns become variables, a `variables` column holds a JSON object)."""
    size = file.stat().st_size
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=context.error_console, transient=True) as progress:
        bar = progress.add_task("uploading", total=size)

        async def chunks() -> AsyncIterator[bytes]:
            with file.open("rb") as stream:
                while chunk := stream.read(CHUNK_BYTES):
                    progress.advance(bar, len(chunk))
                    if progress.tasks[bar].completed >= size:
                        progress.update(bar, description="importing")
                    yield chunk

        report = client.request(
            account,
            "POST",
            f"/lists/{list_id}/recipients.csv",
            content=chunks(),
            headers={"content-type": "text/csv", "content-length": str(size)},
        )
    if as_json:
        output.print_json(report)
        return
    counts = f"{report['valid']} valid, {report['invalid']} invalid"
    output.done(f"imported {report['total']} recipients into list {list_id}: {counts}")
    for row in report["invalid_rows"]:
        output.done(f"  line {row['line']}: {row['address']!r}: {row['reason']}")


@app.command("export")
def export_csv(
    list_id: ListId,
    file: Annotated[
        Path | None, typer.Argument(dir_okay=False, help="Where to write (default: standard output).")
    ] = None,
    account: AccountOption = None,
) -> None:
    """Export a list's recipients as CSV (email, variables), importable again."""

    async def work(api: httpx.AsyncClient) -> int:
        target = file.open("wb") if file else sys.stdout.buffer
        written = 0
        try:
            async with api.stream("GET", f"/lists/{list_id}/recipients.csv") as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise client.api_error(response)
                async for chunk in response.aiter_bytes():
                    target.write(chunk)
                    written += len(chunk)
        finally:
            if file:
                target.close()
        return written

    written = client.run_api(account, work)
    if file:
        output.done(f"wrote {written} bytes to {file}")


@app.command("delete")
def delete(list_id: ListId, account: AccountOption = None) -> None:
    """Delete a recipient list (refused while a task uses it)."""
    client.request(account, "DELETE", f"/lists/{list_id}")
    output.done(f"recipient list {list_id} deleted")
