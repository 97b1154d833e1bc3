"""`mailyard tasks`: list tasks and act on them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from rich.table import Table

from mailyard.cli import context
from mailyard.domain import accounts, paging, tasks
from mailyard.services.container import Services

app = typer.Typer(help="Batch mail tasks.", no_args_is_help=True)
AccountOption = Annotated[str | None, typer.Option(help="Account name (needed when there are several).")]
TaskId = Annotated[int, typer.Argument(min=1, help="Task id.")]


def _as_operator(account: str | None, action: Callable[[Services, accounts.Principal], Awaitable[str]]) -> None:
    async def work() -> str:
        async with context.opened_runtime() as runtime:
            principal = await runtime.services.access.operator(account)
            return await action(runtime.services, principal)

    context.console.print(context.run(work), highlight=False)


@app.command("list")
def list_tasks(
    account: AccountOption = None,
    limit: Annotated[int, typer.Option(min=1, max=paging.MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Show tasks, newest first."""

    async def work() -> paging.Page[tasks.Task]:
        async with context.opened_runtime() as runtime:
            principal = await runtime.services.access.operator(account)
            return await runtime.services.tasks.list(principal, tasks.TaskFilter(), paging.Window(offset, limit))

    page = context.run(work)
    table = Table(title=f"Tasks ({len(page.items)} of {page.total})")
    for column in ("ID", "Name", "Owner", "Type", "State", "Paused", "Requested", "Sent", "Cached", "Failed"):
        table.add_column(
            column, justify="right" if column in ("ID", "Requested", "Sent", "Cached", "Failed") else "left"
        )
    for task in page.items:
        counters = task.counters
        table.add_row(
            str(task.id),
            task.name,
            task.owner_nickname,
            task.schedule.type.name.lower(),
            task.state.value,
            "yes" if task.paused else "no",
            str(counters.requested),
            str(counters.sent),
            str(counters.cached),
            str(counters.failed),
        )
    context.console.print(table)


@app.command("pause")
def pause(task_id: TaskId, account: AccountOption = None) -> None:
    """Stop a task from firing and sending until resumed."""

    async def action(services: Services, principal: accounts.Principal) -> str:
        task = await services.tasks.pause(principal, task_id)
        return f"task {task.id} paused"

    _as_operator(account, action)


@app.command("resume")
def resume(task_id: TaskId, account: AccountOption = None) -> None:
    """Let a paused (or failed) task go on where it was."""

    async def action(services: Services, principal: accounts.Principal) -> str:
        task = await services.tasks.resume(principal, task_id)
        return f"task {task.id} resumed ({task.state.value})"

    _as_operator(account, action)


@app.command("run")
def run_now(task_id: TaskId, account: AccountOption = None) -> None:
    """Add a run now, without moving the schedule."""

    async def action(services: Services, principal: accounts.Principal) -> str:
        run = await services.tasks.run_now(principal, task_id)
        return f"task {task_id}: run {run.id} started with {run.requested} recipients"

    _as_operator(account, action)


@app.command("cancel")
def cancel(task_id: TaskId, account: AccountOption = None) -> None:
    """Stop a task for good; what was still queued is skipped."""

    async def action(services: Services, principal: accounts.Principal) -> str:
        task = await services.tasks.cancel(principal, task_id)
        return f"task {task.id} cancelled"

    _as_operator(account, action)


@app.command("grant")
def grant(
    task_id: TaskId,
    user: Annotated[str, typer.Option(help="Nickname of the user to share the task with.")],
    account: AccountOption = None,
) -> None:
    """Share a task with another user of the account."""

    async def action(services: Services, principal: accounts.Principal) -> str:
        granted = await services.tasks.grant(principal, task_id, user)
        return f"task {task_id} shared with {granted.nickname}"

    _as_operator(account, action)
