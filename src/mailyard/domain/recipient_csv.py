"""Reading recipients from CSV: an `address` (or `email`) column, every other column a variable."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from mailyard.domain import rendering
from mailyard.domain.recipients import Recipient
from mailyard.errors import ErrorCode, InvalidInput

ADDRESS_COLUMNS = ("address", "email", "email_address")
VARIABLES_COLUMN = "variables"


def read_recipients_csv(text: str) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """Yield (address, variables) rows of a CSV text; see `read_recipient_rows`."""
    for _line, address, variables in read_recipient_rows(io.StringIO(text)):
        yield address, variables


def read_recipient_rows(lines: Iterable[str]) -> Iterator[tuple[int, str, dict[str, Any] | None]]:
    """Yield (line, address, variables) rows, reading `lines` lazily (a file of any size in constant memory).

    A file with no address column in its header is one address per line. Unreadable input (not UTF-8, broken
    quoting, a NUL character) raises InvalidInput naming the line, never anything else.
    """
    reader = csv.reader(_text_lines(lines))
    try:
        yield from _rows(reader)
    except UnicodeDecodeError as error:
        raise InvalidInput(f"line {reader.line_num + 1}: the CSV must be UTF-8 text", field="body") from error
    except csv.Error as error:
        raise InvalidInput(f"line {reader.line_num}: not a readable CSV file: {error}", field="body") from error


def _text_lines(lines: Iterable[str]) -> Iterator[str]:
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            raise InvalidInput(f"line {number}: the CSV must not contain NUL characters", field="body")
        yield line.lstrip("\ufeff") if number == 1 else line


def _rows(reader: Any) -> Iterator[tuple[int, str, dict[str, Any] | None]]:
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip().lower() for name in header]
    address_index = next((names.index(name) for name in ADDRESS_COLUMNS if name in names), None)
    if address_index is None:
        yield 1, (header[0] if header else ""), None
        for row in reader:
            if row:
                yield reader.line_num, row[0], None
        return
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        address, variables = _row_recipient(names, row, address_index, reader.line_num)
        yield reader.line_num, address, variables


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
        return rendering.read_template_data(cell)
    except rendering.TemplateDataError as error:
        raise InvalidInput(
            f"line {line}: variables column: {error}", field="variables", code=ErrorCode.RECIPIENT_VARIABLES_INVALID
        ) from None


EXPORT_COLUMNS = ("email", VARIABLES_COLUMN)


async def write_recipients_csv(batches: AsyncIterator[list[Recipient]]) -> AsyncIterator[str]:
    """CSV text of recipients, a batch at a time: a header, then one line per recipient with its variables as
    a JSON object, so that `read_recipient_rows` reads the same recipients back (invalid ones again invalid)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    async for batch in batches:
        for recipient in batch:
            variables = json.dumps(recipient.variables, ensure_ascii=False) if recipient.variables else ""
            writer.writerow((recipient.address, variables))
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()
