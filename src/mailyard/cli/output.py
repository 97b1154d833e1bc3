"""How commands print: Rich tables and fields for people, `--json` for scripts (the API's own JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any

import typer
from rich.table import Table

from mailyard.cli import context

JsonOption = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]
AccountOption = Annotated[
    str | None, typer.Option(help="Account name, when the local database has several (ignored with --url).")
]
LimitOption = Annotated[int, typer.Option(min=1, max=100, help="Rows per page.")]
OffsetOption = Annotated[int, typer.Option(min=0, help="Rows to skip.")]
Column = tuple[str, Callable[[Mapping[str, Any]], object]]
NUMERIC = ("ID", "Requested", "Sent", "Cached", "Failed", "Skipped", "Total", "Valid", "Invalid", "Size", "Attempts")


def field(name: str) -> Callable[[Mapping[str, Any]], object]:
    return lambda item: item.get(name)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def text_of(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def print_table(title: str, columns: Sequence[Column], items: Iterable[Mapping[str, Any]]) -> None:
    table = Table(title=title, title_justify="left")
    for header, _value in columns:
        table.add_column(header, justify="right" if header in NUMERIC else "left", overflow="fold")
    for item in items:
        table.add_row(*(text_of(value(item)) for _header, value in columns))
    context.console.print(table)


def print_page(title: str, page: Mapping[str, Any], columns: Sequence[Column], as_json: bool) -> None:
    """A page of a listing: the table and where it is in the whole."""
    if as_json:
        print_json(page)
        return
    items = page["items"]
    first = page["offset"] + 1 if items else page["offset"]
    shown = f"{first}-{page['offset'] + len(items)} of {page['total']}"
    print_table(f"{title} ({shown})", columns, items)
    if page["offset"] + len(items) < page["total"]:
        context.console.print(f"next page: --offset {page['offset'] + len(items)}", style="dim")


def print_fields(record: Mapping[str, Any], as_json: bool, names: Sequence[str] | None = None) -> None:
    """One record as `name  value` lines."""
    if as_json:
        print_json(record)
        return
    chosen = names or [name for name, value in record.items() if not isinstance(value, list | dict)]
    width = max(len(name) for name in chosen)
    for name in chosen:
        context.console.print(f"{name.ljust(width)}  {text_of(record.get(name))}", highlight=False, markup=False)


def done(message: str) -> None:
    context.console.print(message, highlight=False, markup=False)


def paged(answer: Any, limit: int, offset: int) -> dict[str, Any]:
    """Listings that answer a plain array are paged here, so that every list command pages the same way."""
    if isinstance(answer, dict):
        return answer
    items = list(answer)
    return {"items": items[offset : offset + limit], "total": len(items), "offset": offset, "limit": limit}


def page_query(limit: int, offset: int, **filters: object) -> dict[str, object]:
    """A listing's query: the page, and the filters that were given (booleans as the API spells them)."""
    query: dict[str, object] = {"limit": limit, "offset": offset}
    for name, value in filters.items():
        if value is not None and value is not False:
            query[name] = str(value).lower() if isinstance(value, bool) else value
    return query
