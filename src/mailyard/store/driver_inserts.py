"""Many new rows of one table in one call of the database driver, for the hottest write of all: a group of
messages submitted over SMTP (tasks, runs, ledger rows, their first counters and contents, one statement
per table).

Through SQLAlchemy, each statement costs a few hundred µs of CPU before the database sees it: the statement's
cache key, every parameter of every row through its type's processor, and on SQLite three or four calls into
aiosqlite's thread (cursor, execute, fetch, close), 55 µs of CPU each on the development machine; a `SELECT 1`
took 308 µs of CPU through SQLAlchemy against 63 µs through aiosqlite's own `execute_fetchall`
(docs/performance.md, "Submitting over SMTP"). Here the statement text is built from the same `Table`, each
value goes through the bind processor SQLAlchemy would apply (so the stored form is the same), and the
statement runs in one call of the driver, inside the caller's transaction:
- SQLite: a multi-row `INSERT ... VALUES ... RETURNING id` through aiosqlite's `execute_fetchall`, or without
  ids one single-row INSERT through its `executemany`;
- PostgreSQL: `INSERT ... SELECT * FROM unnest($1::type[], ...)`, one typed array per column, through asyncpg.
With it, the commit of a group of 16 submitted messages costs 3.65 ms of CPU instead of 5.11 on SQLite, 2.38 ms
instead of 3.34 on PostgreSQL, and the submission listener takes 15–30 % more messages a second.
Ids come back in the rows' order: a statement takes its rows' ids in the order of its rows, each above the last
(the next rowid of SQLite's single writer, one `nextval` a row of a PostgreSQL sequence), so sorted they are the
rows' ids in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import TypeEngine

MOST_ROWS_WITH_IDS = 256  #: rows of one INSERT that returns ids on SQLite (one statement text per count)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How rows with the given columns are written: those columns, then each column left out that has a
    default of its own in the table (as SQLAlchemy fills it in), with the value that goes to the driver."""

    columns: tuple[str, ...]
    values_of: Callable[[Mapping[str, Any]], tuple[Any, ...]]  #: a row's values of the given columns, in order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  #: the given columns' that have one, by position
    defaults: tuple[Any, ...]  #: processed values of the columns after the given ones

    def values(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row as the driver takes it. Most columns have no processor: their values are taken as they are,
        all at once (the row of a group's hottest table has over thirty columns)."""
        given = self.values_of(row)
        if not self.processors:
            return given + self.defaults
        values = list(given)
        for position, processor in self.processors:
            values[position] = processor(values[position])
        return tuple(values) + self.defaults


class DriverInsert:
    """New rows of `table`; every row a mapping of the same columns."""

    def __init__(self, table: Table, *, returning_id: bool) -> None:
        self._table = table
        self._returning_id = returning_id
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}
        self._statements: dict[tuple[str, tuple[str, ...], int], str] = {}

    async def run(self, connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert the rows; their new ids in the rows' order when `returning_id`, else []."""
        if not rows:
            return []
        dialect = connection.dialect
        given = tuple(rows[0])
        plan = self._plan(dialect, given)
        driver: Any = (await connection.get_raw_connection()).driver_connection
        if dialect.name == "postgresql":
            if not driver.is_in_transaction():  # SQLAlchemy begins on its first statement; nothing may run outside
                raise RuntimeError("a driver INSERT must follow a statement of its transaction")
            arrays = [list(column) for column in zip(*(plan.values(row) for row in rows), strict=True)]
            statement = self._statement(dialect, plan.columns, 0)
            if not self._returning_id:
                await driver.execute(statement, *arrays)
                return []
            found = await driver.fetch(statement, *arrays)
            return sorted(int(row[0]) for row in found)
        values = [plan.values(row) for row in rows]
        if not self._returning_id:
            await driver.executemany(self._statement(dialect, plan.columns, 1), values)
            return []
        ids: list[int] = []
        for start in range(0, len(values), MOST_ROWS_WITH_IDS):
            chunk = values[start : start + MOST_ROWS_WITH_IDS]
            flat = [value for row in chunk for value in row]
            found = await driver.execute_fetchall(self._statement(dialect, plan.columns, len(chunk)), flat)
            ids += sorted(int(row[0]) for row in found)
        return ids

    def _plan(self, dialect: Dialect, given: tuple[str, ...]) -> _Plan:
        key = (dialect.name, given)
        if key not in self._plans:
            defaulted = [
                column for column in self._table.columns if column.name not in given and column.default is not None
            ]
            if any(not column.default.is_scalar for column in defaulted):  # type: ignore[union-attr]
                raise ValueError(f"give every column of {self._table.name} whose default is not a plain value")
            processors = [bind_processor(column.type, dialect) for column in defaulted]
            values = [column.default.arg for column in defaulted]  # type: ignore[union-attr]
            given_processors = [bind_processor(self._table.c[name].type, dialect) for name in given]
            self._plans[key] = _Plan(
                columns=given + tuple(column.name for column in defaulted),
                values_of=_values_of(given),
                processors=tuple(
                    (position, processor)
                    for position, processor in enumerate(given_processors)
                    if processor is not None
                ),
                defaults=tuple(
                    value if processor is None else processor(value)
                    for value, processor in zip(values, processors, strict=True)
                ),
            )
        return self._plans[key]

    def _statement(self, dialect: Dialect, columns: tuple[str, ...], count: int) -> str:
        """The INSERT of `count` rows (PostgreSQL: of any number, `count` 0)."""
        key = (dialect.name, columns, count)
        if key not in self._statements:
            preparer = dialect.identifier_preparer
            names = ", ".join(preparer.quote(name) for name in columns)
            head = f"INSERT INTO {preparer.format_table(self._table)} ({names}) "
            if dialect.name == "postgresql":
                arrays = ", ".join(
                    f"${index}::{self._table.c[name].type.compile(dialect=dialect)}[]"
                    for index, name in enumerate(columns, start=1)
                )
                body = f"SELECT * FROM unnest({arrays})"
            else:
                one = "(" + ", ".join("?" for _ in columns) + ")"
                body = "VALUES " + ", ".join(one for _ in range(count))
            self._statements[key] = head + body + (" RETURNING id" if self._returning_id else "")
        return self._statements[key]


def _values_of(columns: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """The values of `columns` of a row, as a tuple even for one column."""
    if len(columns) == 1:
        (name,) = columns
        return lambda row: (row[name],)
    return itemgetter(*columns)


def bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy applies to a value of this type: the dialect's form of the type decides. (The generic
    type's own would leave a time as a datetime on SQLite, which the driver would turn into text differently.)"""
    return type_.dialect_impl(dialect).bind_processor(dialect)
