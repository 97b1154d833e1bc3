"""Running a hot read statement on an asyncpg connection (the read pool's), past SQLAlchemy's execution and
result layers.

For a short read on PostgreSQL those layers (cache lookups, parameter processing, the cursor adapter, building
result rows) cost the server more CPU than the query costs PostgreSQL. A statement is compiled once for the
dialect; its values go to asyncpg positionally, in the compiled order, and every type's bind and result
processing still runs (naive UTC datetimes come back aware, as they do through SQLAlchemy). Expanding
parameters (``IN`` lists of one bound list) are not supported: bind each value on its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.engine import Dialect

from mailyard.store.driver_inserts import bind_processor

Process = Callable[[Any], Any]


@dataclass(frozen=True)
class AsyncpgStatement:
    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]  #: values fixed in the statement itself, such as the 0 of coalesce(x, 0)
    bind_processors: Mapping[str, Process]
    result_processors: Mapping[str, Process]

    async def fetch(self, connection: asyncpg.Connection, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        given = {**self.defaults, **values}
        for name, process in self.bind_processors.items():
            given[name] = process(given[name])
        records = await connection.fetch(self.sql, *[given[name] for name in self.names])
        columns = tuple(records[0].keys()) if records else ()
        rows = [dict(zip(columns, record.values(), strict=True)) for record in records]
        for name, process in self.result_processors.items():
            for row in rows:
                row[name] = process(row[name])
        return rows


@functools.cache
def compiled(statement: Select[Any], dialect: Dialect) -> AsyncpgStatement:
    """`statement` compiled for `dialect`, once per statement (the statements are themselves built once)."""
    compiled_statement = statement.compile(dialect=dialect)
    names = tuple(compiled_statement.positiontup or ())
    binds = [(name, compiled_statement.binds[name]) for name in names]
    if any(bind.expanding for _, bind in binds):
        raise ValueError("expanding parameters need a compile per execution; bind each value on its own")
    bind_processors = {
        name: process for name, bind in binds if (process := bind_processor(bind.type, dialect)) is not None
    }
    result_processors = {
        column.name: process
        for column in statement.selected_columns
        if (process := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
    }
    return AsyncpgStatement(
        sql=compiled_statement.string,
        names=names,
        defaults={name: value for name, value in compiled_statement.params.items() if value is not None},
        bind_processors=bind_processors,
        result_processors=result_processors,
    )
