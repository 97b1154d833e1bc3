"""Reading recipients from CSV: an `address` (or `email`) column, every other column a variable."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from mailyard.errors import InvalidInput

ADDRESS_COLUMNS = ("address", "email", "email_address")
VARIABLES_COLUMN = "variables"


def read_recipients_csv(text: str) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Yield (address, variables) rows; a file with no header is one address per line."""
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(rows, None)
    if header is None:
        return
    names = [name.strip().lower() for name in header]
    address_index = next((names.index(name) for name in ADDRESS_COLUMNS if name in names), None)
    if address_index is None:
        yield (header[0] if header else ""), None
        for row in rows:
            if row:
                yield row[0], None
        return
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        yield _row_recipient(names, row, address_index, line)


def _row_recipient(
    names: list[str], row: list[str], address_index: int, line: int
) -> tuple[str, dict[str, Any] | None]:
    address = row[address_index] if address_index < len(row) else ""
    variables: dict[str, Any] = {}
    for index, cell in enumerate(row):
        if index == address_index or index >= len(names) or cell == "":
            continue
        if names[index] == VARIABLES_COLUMN:
            variables.update(_json_object(cell, line))
        else:
            variables[names[index]] = cell
    return address, variables or None


def _json_object(cell: str, line: int) -> dict[str, Any]:
    try:
        value = json.loads(cell)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"line {line}: variables column is not JSON", field="variables") from error
    if not isinstance(value, dict):
        raise InvalidInput(f"line {line}: variables column must be a JSON object", field="variables")
    return value
