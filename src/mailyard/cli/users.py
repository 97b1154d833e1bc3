"""`mailyard users`: the people of an account."""

from __future__ import annotations

import sys
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


@app.command("role")
def role(
    user: Annotated[str, typer.Option(help="The user's nickname.")],
    to: Annotated[Literal["admin", "member"], typer.Option("--to", help="The new role: admin or member.")],
    account: AccountOption = None,
) -> None:
    """Make a user admin or member; the account keeps at least one admin."""
    found = [item for item in client.request(account, "GET", "/users") if item["nickname"] == user]
    if not found:
        context.fail(f"user {user!r} not found")
    client.request(account, "PUT", f"/users/{found[0]['id']}/role", json={"role": to})
    output.done(f"{user} is now {to}")


@app.command("passwd")
def passwd(
    user: Annotated[str, typer.Option(help="The user's nickname.")],
    account: AccountOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input instead of prompting.")
    ] = False,
) -> None:
    """Set the password a user signs in to the dashboard with; the user's open sessions end."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    found = [item for item in client.request(account, "GET", "/users") if item["nickname"] == user]
    if not found:
        context.fail(f"user {user!r} not found")
    client.request(account, "PUT", f"/users/{found[0]['id']}/password", json={"password": password})
    output.done(f"password of {user} set")
