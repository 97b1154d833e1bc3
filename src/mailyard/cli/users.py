"""`mailyard users`: the people of an account."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from mailyard.cli import client, context, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(
    help="Users of the account: admins see every task, members their own and shared ones.", no_args_is_help=True
)
COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Nickname", field("nickname")),
    ("Role", field("role")),
    ("Created", field("created_at")),
]


@app.command("create")
def create(
    nickname: Annotated[str, typer.Argument(help="The user's name in the account.")],
    role: Annotated[Literal["admin", "member"], typer.Option(help="admin or member.")] = "member",
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a user with a first access key (its secret is shown once)."""
    issued = client.request(account, "POST", "/users", json={"nickname": nickname, "role": role})
    if as_json:
        output.print_json(issued)
        return
    output.done(f"user {nickname} ({role}) created\nSecretId  {issued['SecretId']}\nSecretKey {issued['SecretKey']}")
    context.console.print("[yellow]Store the SecretKey now: it cannot be shown again.[/yellow]")


@app.command("list")
def list_users(
    account: AccountOption = None, limit: LimitOption = 20, offset: OffsetOption = 0, as_json: JsonOption = False
) -> None:
    """Show the account's users."""
    answer = client.request(account, "GET", "/users")
    output.print_page("Users", output.paged(answer, limit, offset), COLUMNS, as_json)
