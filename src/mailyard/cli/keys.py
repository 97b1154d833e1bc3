"""`mailyard keys`: access keys."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mailyard import bootstrap
from mailyard.cli import client, context, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field
from mailyard.domain import accounts

app = typer.Typer(help="Access keys (SecretId + SecretKey).", no_args_is_help=True)


@app.command("create")
def create(
    account: Annotated[str, typer.Option(help="Account name; created when missing.")],
    user: Annotated[str, typer.Option(help="User nickname; created when missing.")],
    role: Annotated[accounts.Role, typer.Option(help="Role of a new user.")] = accounts.Role.ADMIN,
    as_json: Annotated[bool, typer.Option("--json", help='Print exactly {"SecretId": ..., "SecretKey": ...}.')] = False,
) -> None:
    """Create a key pair (and the account and user when missing, on the local database); the secret is shown
    once and never again."""

    async def work() -> accounts.IssuedKey:
        async with context.opened_runtime() as runtime:
            return await runtime.services.access.issue_key(account_name=account, nickname=user, role=role)

    issued = context.run(work)
    if as_json:
        typer.echo(json.dumps({"SecretId": issued.secret_id, "SecretKey": issued.secret_key}))
        return
    context.console.print(f"account   {issued.account.name}\nuser      {issued.user.nickname} ({issued.user.role})")
    context.console.print(f"SecretId  {issued.secret_id}\nSecretKey {issued.secret_key}", highlight=False)
    context.console.print("[yellow]Store the SecretKey now: it cannot be shown again.[/yellow]")


KEY_COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("User", field("user_id")),
    ("SecretId", field("secret_id")),
    ("Created", field("created_at")),
]


@app.command("list")
def list_keys(
    account: AccountOption = None, limit: LimitOption = 20, offset: OffsetOption = 0, as_json: JsonOption = False
) -> None:
    """Show access keys (an admin: the account's; a member: its own). Secrets are never shown again."""
    answer = client.request(account, "GET", "/keys")
    output.print_page("Access keys", output.paged(answer, limit, offset), KEY_COLUMNS, as_json)


@app.command("revoke")
def revoke(
    key_id: Annotated[int, typer.Argument(min=1, help="Key id (see `keys list`).")], account: AccountOption = None
) -> None:
    """Revoke an access key at once."""
    client.request(account, "DELETE", f"/keys/{key_id}")
    output.done(f"key {key_id} revoked")


@app.command("rotate-master")
def rotate_master() -> None:
    """Re-encrypt every stored secret under a new master key; safe to run again if interrupted."""
    settings = context.settings()
    resealed, finished = context.run(lambda: bootstrap.rotate_master_key(settings))
    context.console.print(f"{resealed} secrets re-encrypted under the new master key")
    if finished:
        context.console.print(
            "the old master key was removed from the key file; it still authenticates links in mail already sent"
            " until `mailyard keys forget-retired`"
        )
    else:
        context.console.print("every secret now reads under the first key of MAILYARD_MASTER_KEY: drop the others")


@app.command("forget-retired")
def forget_retired() -> None:
    """Delete the master keys a rotation retired: links in mail sent before it (bounces' return paths, tracked
    links, unsubscribe links) stop working. Do it at once if an old key leaked."""
    settings = context.settings()
    if bootstrap.forget_retired_master_keys(settings):
        output.done("retired master keys deleted")
    else:
        output.done("no retired master keys")
