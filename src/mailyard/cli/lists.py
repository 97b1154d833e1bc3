"""`mailyard lists`: recipient lists."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from mailyard.cli import context
from mailyard.domain import recipient_csv, recipients

app = typer.Typer(help="Recipient lists.", no_args_is_help=True)
IMPORT_CHUNK = 2_000


def _read_file(path: Path) -> list[tuple[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        context.fail(f"{path}: not UTF-8 text")
    try:
        rows = list(recipient_csv.read_recipients_csv(text))
    except csv.Error as error:
        context.fail(f"{path}: not a readable CSV file: {error}")
    if not rows:
        context.fail(f"{path}: no recipients in the file")
    for line, (address, variables) in enumerate(rows, start=2):
        try:
            recipients.check_recipient(address, variables)
        except ValueError as error:
            context.fail(f"{path}: row {line}: {error}")
    return rows


@app.command("import")
def import_csv(
    list_id: Annotated[int, typer.Argument(min=1, help="Recipient list id.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV with an address column.")
    ],
    account: Annotated[str | None, typer.Option(help="Account name (needed when there are several).")] = None,
) -> None:
    """Import recipients from CSV (an `address` or `email` column; other columns become variables)."""
    rows = _read_file(file)
    totals = {"valid": 0, "invalid": 0}

    async def work() -> None:
        async with context.opened_runtime() as runtime:
            services = runtime.services
            principal = await services.access.operator(account)
            target = await services.recipients.get_list(principal, list_id)
            if target.total_count + len(rows) > recipients.MAX_PER_LIST:
                context.fail(f"the list would hold more than {recipients.MAX_PER_LIST} recipients")
            columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=context.console) as progress:
                bar = progress.add_task("import", total=len(rows))
                for start in range(0, len(rows), IMPORT_CHUNK):
                    chunk = rows[start : start + IMPORT_CHUNK]
                    report = await services.recipients.add_recipients(principal, list_id, chunk)
                    totals["valid"] += report.valid
                    totals["invalid"] += report.invalid
                    progress.advance(bar, len(chunk))

    context.run(work)
    context.console.print(
        f"imported {len(rows)} recipients into list {list_id}: {totals['valid']} valid, {totals['invalid']} invalid"
    )
