"""`mailyard stats`: daily volumes in the account's time zone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from mailyard.cli import client, output
from mailyard.cli.output import AccountOption, JsonOption, field

COLUMNS: list[output.Column] = [
    ("Day", field("day")),
    ("Requested", field("requested")),
    ("Accepted", field("accepted")),
    ("Delivered", field("delivered")),
    ("Bounced", field("bounced")),
    ("Unsubscribed", field("unsubscribed")),
    ("Opened", field("opened")),
    ("Opened by people", field("opened_by_humans")),
    ("Opened by machines", field("opened_by_machines")),
    ("Clicked", field("clicked")),
    ("Clicked by people", field("clicked_by_humans")),
    ("Clicked by machines", field("clicked_by_machines")),
    ("Complaints", field("complained")),
]


def stats(
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (default: 6 days before --end).")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD (default: today).")] = None,
    task: Annotated[int | None, typer.Option("--task", min=1, help="Only this task's days.")] = None,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show what was requested, delivered and bounced per day, and opens and clicks by people and machines
    (over the tasks you may see, or of one task)."""
    last = date.fromisoformat(end) if end else date.today()
    first = date.fromisoformat(start) if start else last - timedelta(days=6)
    query: dict[str, object] = {"start": first.isoformat(), "end": last.isoformat()}
    if task is not None:
        query["task_id"] = task
    report = client.request(account, "GET", "/statistics", params=query)
    if as_json:
        output.print_json(report)
        return
    overall = dict(report["overall"], day="total")
    of_task = f" of task {task}" if task else ""
    output.print_table(f"Statistics{of_task} {first} to {last}", COLUMNS, [*report["daily"], overall])
