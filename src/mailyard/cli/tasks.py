"""`mailyard tasks`: create batch tasks, follow them, and act on them."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Annotated, Any, Literal

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mailyard.cli import client, context, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(help="Batch mail tasks.", no_args_is_help=True)
TaskId = Annotated[int, typer.Argument(min=1, help="Task id.")]
FINAL_STATES = frozenset({"done", "error", "cancelled"})
TaskStateName = Literal["pending", "sending", "suspended", "error", "done", "cancelled"]
TASK_COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Name", field("name")),
    ("Owner", field("owner")),
    ("Type", lambda task: task["schedule"]["type"]),
    ("State", field("state")),
    ("Paused", field("paused")),
    ("Requested", lambda task: task["counters"]["requested"]),
    ("Sent", lambda task: task["counters"]["sent"]),
    ("Cached", lambda task: task["counters"]["cached"]),
    ("Failed", lambda task: task["counters"]["failed"]),
]
DELIVERY_COLUMNS: list[output.Column] = [
    ("Address", field("address")),
    ("State", field("state")),
    ("Attempts", field("attempts")),
    ("Reply", lambda delivery: " ".join(str(part) for part in (delivery["smtp_code"], delivery["reason"]) if part)),
]


@app.command("create")
def create(
    sender: Annotated[str, typer.Option("--from", help='Sender, e.g. "News <news@example.com>".')],
    subject: Annotated[str, typer.Option(help="Subject; may hold {{placeholders}}.")],
    template: Annotated[int, typer.Option(min=1, help="Template id.")],
    recipients: Annotated[int, typer.Option("--list", min=1, help="Recipient list id.")],
    name: Annotated[str | None, typer.Option(help="Task name.")] = None,
    variables: Annotated[str, typer.Option(help="Variables for every recipient, a JSON object.")] = "{}",
    at: Annotated[datetime | None, typer.Option(help="Send at this time (ISO 8601; UTC if no offset).")] = None,
    every: Annotated[int | None, typer.Option(min=1, help="Send every N hours (from --at, or now).")] = None,
    reply_to: Annotated[str | None, typer.Option(help="Reply-To address.")] = None,
    unsubscribe: Annotated[
        str | None, typer.Option(help="Add an unsubscribe link in this language (en, zh-CN, ...).")
    ] = None,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a task: now, at a time (--at), or every N hours (--every)."""
    body: dict[str, Any] = {
        "name": name,
        "from_address": sender,
        "reply_to": reply_to,
        "subject": subject,
        "template_id": template,
        "variables": _json_object(variables),
        "recipient_list_id": recipients,
        "schedule": _schedule(at, every),
    }
    if unsubscribe:
        body["unsubscribe"] = unsubscribe
    created = client.request(account, "POST", "/tasks", json=body)
    if as_json:
        output.print_json(created)
        return
    output.done(
        f"task {created['id']} created ({created['state']}); follow it with: mailyard tasks watch {created['id']}"
    )


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        context.fail(f"--variables is not JSON: {error}")
    if not isinstance(value, dict):
        context.fail("--variables must be a JSON object")
    return value


def _schedule(at: datetime | None, every: int | None) -> dict[str, Any]:
    begin_at = at.isoformat() if at and at.tzinfo else (f"{at.isoformat()}+00:00" if at else None)
    if every:
        return {
            "type": "recurring",
            "begin_at": begin_at or datetime.now().astimezone().isoformat(),
            "interval_hours": every,
        }
    if at:
        return {"type": "scheduled", "begin_at": begin_at}
    return {"type": "immediate"}


@app.command("list")
def list_tasks(
    state: Annotated[TaskStateName | None, typer.Option(help="Only tasks in this state.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only tasks of this user.")] = None,
    paused: Annotated[bool | None, typer.Option("--paused/--running", help="Only paused or unpaused tasks.")] = None,
    account: AccountOption = None,
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show tasks, newest first."""
    query = output.page_query(limit, offset, state=state, owner=owner)
    if paused is not None:  # --running asks for paused=false, which page_query would leave out
        query["paused"] = str(paused).lower()
    output.print_page("Tasks", client.request(account, "GET", "/tasks", params=query), TASK_COLUMNS, as_json)


@app.command("show")
def show(
    task_id: TaskId,
    failed: Annotated[bool, typer.Option("--failed", help="Show only failed deliveries.")] = False,
    account: AccountOption = None,
    limit: LimitOption = 20,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Show a task, its counters and a page of its deliveries."""
    query = output.page_query(limit, offset, state="failed" if failed else None)
    task, deliveries = client.record_and_page(account, f"/tasks/{task_id}", f"/tasks/{task_id}/deliveries", query)
    if as_json:
        output.print_json({"task": task, "deliveries": deliveries})
        return
    output.print_fields(
        task, False, ["id", "name", "owner", "from_address", "subject", "state", "paused", "error_message"]
    )
    output.print_fields(task["counters"], False)
    output.print_page("Deliveries", deliveries, DELIVERY_COLUMNS, False)


@app.command("watch")
def watch(
    task_id: TaskId,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between looks.")] = 1.0,
    account: AccountOption = None,
) -> None:
    """Follow a task's counters with a live progress bar until it is done, fails, or is cancelled."""

    async def work(api: httpx.AsyncClient) -> Any:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=context.console) as progress:
            bar = progress.add_task(f"task {task_id}", total=None)
            while True:
                task = await client.call(api, "GET", f"/tasks/{task_id}")
                counters = task["counters"]
                finished = counters["sent"] + counters["failed"] + counters["skipped"]
                # Every ledger row is requested or skipped (a cancel moves queued rows from one to the other).
                total = counters["requested"] + counters["skipped"]
                description = f"task {task_id} {task['state']}: {counters['sent']} sent, {counters['failed']} failed"
                progress.update(bar, total=total or None, completed=finished, description=description)
                if task["state"] in FINAL_STATES or (
                    task["schedule"]["type"] == "recurring" and task["state"] == "pending"
                ):
                    return task
                await asyncio.sleep(interval)

    task = client.run_api(account, work)
    if task["state"] == "error":
        context.fail(f"task {task_id} stopped: {task['error_message']}")
    output.done(f"task {task_id} {task['state']}")


def _act(task_id: int, account: str | None, verb: str, message: str) -> None:
    answer = client.request(account, "POST", f"/tasks/{task_id}/{verb}")
    output.done(message.format(**answer))


@app.command("pause")
def pause(task_id: TaskId, account: AccountOption = None) -> None:
    """Stop a task from firing and sending until resumed."""
    _act(task_id, account, "pause", "task {id} paused")


@app.command("resume")
def resume(task_id: TaskId, account: AccountOption = None) -> None:
    """Let a paused (or failed) task go on where it was."""
    _act(task_id, account, "resume", "task {id} resumed ({state})")


@app.command("run")
def run_now(task_id: TaskId, account: AccountOption = None) -> None:
    """Add a run now, without moving the schedule."""
    _act(task_id, account, "run", "task {task_id}: run {id} started with {requested} recipients")


@app.command("cancel")
def cancel(task_id: TaskId, account: AccountOption = None) -> None:
    """Stop a task for good; what was still queued is skipped."""
    _act(task_id, account, "cancel", "task {id} cancelled")


@app.command("grant")
def grant(
    task_id: TaskId,
    user: Annotated[str, typer.Option(help="Nickname of the user to share the task with.")],
    account: AccountOption = None,
) -> None:
    """Share a task with another user of the account."""
    client.request(account, "POST", f"/tasks/{task_id}/grants", json={"nickname": user})
    output.done(f"task {task_id} shared with {user}")
