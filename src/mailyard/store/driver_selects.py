"""A hot read of SQLite in one call of its driver: the look-up of a group's accounts and suppressed addresses,
made once for every group of messages submitted over SMTP (and every SendEmail).

Through SQLAlchemy a SELECT on SQLite makes four calls into aiosqlite's thread (cursor, execute, fetch, close),
and its expanding IN lists are rendered anew each time. That look-up took a fifth of the event loop's CPU in
the commit of a group of 16 submitted messages: 1.40–1.47 ms with it, 1.12–1.26 ms through the driver
(in-process, the lowest of 400 groups in three interleaved runs).

Here SQLAlchemy compiles the statement and renders its text once for each number of values in its lists; the
values go through the bind processors SQLAlchemy would apply, so the same rows are read; the text runs in one
`execute_fetchall`. Rows come back as the driver gives them, so only statements whose columns need no result
processing are taken (checked when the statement is first run).

On PostgreSQL the statement goes through SQLAlchemy: there the transaction begins with SQLAlchemy's first
statement (see driver_inserts), and asyncpg has no thread to hop into.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler

from mailyard.store.driver_inserts import bind_processor

MOST_TEXTS = 256  #: texts kept per statement (one per count of values in each list); past it, they start anew


@dataclass(frozen=True, slots=True)
class _Text:
    """The statement for given numbers of values in its lists, and where each placeholder's value comes from:
    a parameter, or one element of a list parameter, and the processor it goes through."""

    sql: str
    sources: tuple[tuple[str, int | None, Callable[[Any], Any] | None], ...]
    fixed: Mapping[str, Any]  #: values fixed in the statement itself, such as the 'admin' of role == 'admin'

    def values(self, parameters: Mapping[str, Any]) -> list[Any]:
        given = {**self.fixed, **parameters} if self.fixed else parameters
        values = []
        for name, index, processor in self.sources:
            value = given[name] if index is None else given[name][index]
            values.append(value if processor is None else processor(value))
        return values


class DriverSelect:
    """A SELECT read through SQLite's driver (see above); its lists are expanding parameters."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: SQLCompiler | None = None
        self._lists: tuple[str, ...] = ()  #: the expanding parameters, whose counts pick the text
        self._texts: dict[tuple[int, ...], _Text] = {}

    async def rows(self, connection: AsyncConnection, parameters: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows for these parameters (each list parameter a list or tuple)."""
        dialect = connection.dialect
        if dialect.name != "sqlite":
            found = await connection.execute(self.statement, dict(parameters))
            return [tuple(row) for row in found]
        compiled = self._compile(dialect)
        counts = tuple(len(parameters[name]) for name in self._lists)
        text = self._texts.get(counts)
        if text is None:
            if len(self._texts) >= MOST_TEXTS:
                self._texts.clear()
            text = self._texts[counts] = _expanded(compiled, dialect, parameters)
        driver: Any = (await connection.get_raw_connection()).driver_connection
        return list(await driver.execute_fetchall(text.sql, text.values(parameters)))

    def _compile(self, dialect: Dialect) -> SQLCompiler:
        if self._compiled is None:
            processed = [
                column
                for column in self.statement.selected_columns
                if column.type.dialect_impl(dialect).result_processor(dialect, None)
            ]
            if processed:
                names = ", ".join(str(column.name) for column in processed)
                raise ValueError(f"columns read through the driver must need no result processing: {names}")
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            self._compiled = compiled
            self._lists = tuple(sorted(name for name, bind in compiled.binds.items() if bind.expanding))
        return self._compiled


def _expanded(compiled: SQLCompiler, dialect: Dialect, parameters: Mapping[str, Any]) -> _Text:
    """The text for the counts of these parameters' lists. SQLAlchemy names the placeholders of a list's values
    `<name>_1`, `<name>_2`, ...: each is checked against the value it stands for, so a change in that naming
    fails here rather than binding the wrong values."""
    expanded = compiled.construct_expanded_state(dict(parameters))
    if expanded.positiontup is None:
        raise ValueError("a statement read through the driver must have positional placeholders")
    sources: list[tuple[str, int | None, Callable[[Any], Any] | None]] = []
    fixed: dict[str, Any] = {}
    for placeholder in expanded.positiontup:
        bind = compiled.binds.get(placeholder)
        if bind is not None and not bind.expanding:
            name, index = placeholder, None
            if placeholder not in parameters:
                fixed[placeholder] = expanded.parameters[placeholder]
        else:
            name, _, position = placeholder.rpartition("_")
            index = int(position) - 1
            if parameters[name][index] != expanded.parameters[placeholder]:
                raise RuntimeError(f"placeholder {placeholder} does not stand for {name}[{index}]")
        sources.append((name, index, bind_processor(compiled.binds[name].type, dialect)))
    return _Text(sql=expanded.statement, sources=tuple(sources), fixed=fixed)
