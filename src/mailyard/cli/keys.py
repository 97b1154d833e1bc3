"""`mailyard keys`: access keys."""

from __future__ import annotations

import json
from typing import Annotated

import httpx
import typer

from mailyard import bootstrap
from mailyard.cli import client, context, output
from mailyard.cli.context import ApiError
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field
from mailyard.domain import accounts

app = typer.Typer(help="Access keys (SecretId + SecretKey).", no_args_is_help=True)


@app.command("create")
def create(
    account: Annotated[str, typer.Option(help="Account name; created when missing (with --url: the key's account).")],
    user: Annotated[str, typer.Option(help="User nickname; created when missing.")],
    role: Annotated[accounts.Role, typer.Option(help="Role of a new user.")] = accounts.Role.ADMIN,
    as_json: Annotated[bool, typer.Option("--json", help='Print exactly {"SecretId": ..., "SecretKey": ...}.')] = False,
) -> None:
    """Create a key pair (and the user when missing; on the local database the account too); the secret is shown
    once and never again. With --url the remote server makes it, for a user of the key's own account."""
    if context.remote_url():
        issued = client.run_api(None, lambda api: _remote_key(api, account, user, role))
    else:
        issued = context.run(lambda: _local_key(account, user, role))
    if as_json:
        typer.echo(json.dumps({"SecretId": issued["SecretId"], "SecretKey": issued["SecretKey"]}))
        return
    context.console.print(f"account   {issued['account']}\nuser      {issued['nickname']} ({issued['role']})")
    context.console.print(f"SecretId  {issued['SecretId']}\nSecretKey {issued['SecretKey']}", highlight=False)
    context.console.print("[yellow]Store the SecretKey now: it cannot be shown again.[/yellow]")


async def _local_key(account: str, user: str, role: accounts.Role) -> dict[str, str]:
    async with context.opened_runtime() as runtime:
        issued = await runtime.services.access.issue_key(account_name=account, nickname=user, role=role)
    return {
        "account": issued.account.name,
        "nickname": issued.user.nickname,
        "role": str(issued.user.role),
        "SecretId": issued.secret_id,
        "SecretKey": issued.secret_key,
    }


async def _remote_key(api: httpx.AsyncClient, account: str, user: str, role: accounts.Role) -> dict[str, str]:
    """Through the API: a new key of an existing user (POST /keys), or a new user with its first key."""
    me = await client.call(api, "GET", "/me")
    if me["account"] != account:
        raise ApiError(400, "account_mismatch", f"the key belongs to account {me['account']!r}, not {account!r}")
    found = [item for item in await client.call(api, "GET", "/users") if item["nickname"] == user]
    if found:
        issued = await client.call(api, "POST", "/keys", json={"user_id": found[0]["id"]})
    else:
        issued = await client.call(api, "POST", "/users", json={"nickname": user, "role": role.value})
    return {
        "account": me["account"],
        "nickname": issued["user"]["nickname"],
        "role": issued["user"]["role"],
        "SecretId": issued["SecretId"],
        "SecretKey": issued["SecretKey"],
    }


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
    context.require_local("keys rotate-master")
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
    context.require_local("keys forget-retired")
    settings = context.settings()
    if bootstrap.forget_retired_master_keys(settings):
        output.done("retired master keys deleted")
    else:
        output.done("no retired master keys")
