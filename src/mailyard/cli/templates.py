"""`mailyard templates`: templates with `{{name}}` placeholders, from text and HTML files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mailyard.cli import client, context, output
from mailyard.cli.output import AccountOption, JsonOption, LimitOption, OffsetOption, field

app = typer.Typer(help="Templates: create from files, preview with variables, review, delete.", no_args_is_help=True)
TemplateId = Annotated[int, typer.Argument(min=1, help="Template id.")]
FileOption = Annotated[Path | None, typer.Option(exists=True, dir_okay=False, readable=True)]
REVIEWED = ["id", "name", "review_status"]
COLUMNS: list[output.Column] = [
    ("ID", field("id")),
    ("Name", field("name")),
    ("Subject", field("subject")),
    ("Review", field("review_status")),
    ("Updated", field("updated_at")),
]


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        context.fail(f"{path}: not UTF-8 text")


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Template name.")],
    text: Annotated[
        Path | None, typer.Option("--text", exists=True, dir_okay=False, help="Plain-text body file.")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", exists=True, dir_okay=False, help="HTML body file.")] = None,
    subject: Annotated[str | None, typer.Option(help="Default subject.")] = None,
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a template from a text file, an HTML file, or both."""
    if text is None and html is None:
        context.fail("give --text, --html or both")
    body = {"name": name, "subject": subject, "text": _read(text), "html": _read(html)}
    output.print_fields(client.request(account, "POST", "/templates", json=body), as_json)


@app.command("list")
def list_templates(
    account: AccountOption = None, limit: LimitOption = 20, offset: OffsetOption = 0, as_json: JsonOption = False
) -> None:
    """Show the account's templates."""
    page = client.request(account, "GET", "/templates", params={"limit": limit, "offset": offset})
    output.print_page("Templates", page, COLUMNS, as_json)


@app.command("show")
def show(template_id: TemplateId, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """Show a template with its text and HTML."""
    found = client.request(account, "GET", f"/templates/{template_id}")
    output.print_fields(found, as_json, ["id", "name", "subject", "review_status", "updated_at", "text", "html"])


@app.command("preview")
def preview(
    template_id: TemplateId,
    variables: Annotated[str, typer.Option(help='Variables as a JSON object, e.g. \'{"name": "Ada"}\'.')] = "{}",
    account: AccountOption = None,
    as_json: JsonOption = False,
) -> None:
    """Render a template with variables; names placeholders that no variable fills."""
    try:
        values: Any = json.loads(variables)
    except json.JSONDecodeError as error:
        context.fail(f"--variables is not JSON: {error}")
    if not isinstance(values, dict):
        context.fail("--variables must be a JSON object")
    rendered = client.request(account, "POST", f"/templates/{template_id}/preview", json={"variables": values})
    output.print_fields(rendered, as_json, ["subject", "text", "html"])
    if rendered["missing"] and not as_json:
        context.error_console.print(f"missing variables: {', '.join(rendered['missing'])}")


@app.command("delete")
def delete(template_id: TemplateId, account: AccountOption = None) -> None:
    """Delete a template (refused while a task uses it)."""
    client.request(account, "DELETE", f"/templates/{template_id}")
    output.done(f"template {template_id} deleted")


@app.command("approve")
def approve(template_id: TemplateId, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """Approve a template (admins; with MAILYARD_TEMPLATE_REVIEW=on nothing unapproved is sent)."""
    output.print_fields(client.request(account, "POST", f"/templates/{template_id}/approve"), as_json, REVIEWED)


@app.command("reject")
def reject(template_id: TemplateId, account: AccountOption = None, as_json: JsonOption = False) -> None:
    """Reject a template (admins): nothing sends it until it is changed and approved."""
    output.print_fields(client.request(account, "POST", f"/templates/{template_id}/reject"), as_json, REVIEWED)
