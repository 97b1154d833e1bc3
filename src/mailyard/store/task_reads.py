"""The `TaskListing` port: each page one statement (`task_listing`), read outside any unit of work.

On PostgreSQL a page is read over the read pool (`read_pool`), where the statement is planned once, and a
page of documents comes back rendered by the database. Elsewhere (SQLite) it is read over the engine and
documents are rendered here from the fields they need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncEngine

from mailyard.domain import documents, paging
from mailyard.domain import tasks as model
from mailyard.domain.visibility import TaskScope
from mailyard.store import asyncpg_statements, task_documents, task_listing
from mailyard.store.tasks import select_tasks, task_of

_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,  # the connection broke
    asyncpg.AdminShutdownError,  # the server ended it (a shutdown, pg_terminate_backend)
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.InterfaceError,  # the connection was already closed
    asyncpg.InternalClientError,  # the cut came while the connection was idle and confused its protocol state
    OSError,
)


def _listed_tasks(condition: Any) -> Select[Any]:
    return select_tasks().where(condition)


class SqlTaskListing:
    def __init__(self, engine: AsyncEngine, read_pool: asyncpg.Pool | None) -> None:
        self._engine = engine
        self._read_pool = read_pool

    async def page(
        self, scope: TaskScope, task_filter: model.TaskFilter, window: paging.Window
    ) -> paging.Page[model.Task]:
        shape = self._shape(scope, task_filter, window)
        statement = task_listing.rows_statement(_listed_tasks, shape)
        rows = await self._rows(statement, task_listing.bound_values(scope, task_filter, window))
        return paging.Page([task_of(row) for row in rows if row["id"] is not None], int(rows[0]["total"]))

    async def documents(
        self,
        scope: TaskScope,
        task_filter: model.TaskFilter,
        window: paging.Window,
        document: documents.Document,
        time_zone: str,
    ) -> documents.DocumentPage:
        shape = self._shape(scope, task_filter, window)
        values = task_listing.bound_values(scope, task_filter, window)
        if shape.postgres:
            statement = task_listing.documents_statement(document, shape)
            (row,) = await self._rows(statement, values | {"time_zone": time_zone})
            return documents.DocumentPage(documents=row["documents"], total=int(row["total"]))
        rows = await self._rows(task_listing.rows_statement(task_documents.field_rows(document), shape), values)
        listed = [row for row in rows if row["id"] is not None]
        return documents.DocumentPage(documents.render_page(document, listed, time_zone), int(rows[0]["total"]))

    def _shape(self, scope: TaskScope, task_filter: model.TaskFilter, window: paging.Window) -> task_listing.Shape:
        return task_listing.Shape.of(scope, task_filter, window, postgres=self._read_pool is not None)

    async def _rows(self, statement: Select[Any], values: dict[str, Any]) -> Sequence[Mapping[str, Any]]:
        if self._read_pool is None:
            async with self._engine.connect() as connection:
                return [row._asdict() for row in await connection.execute(statement, values)]
        compiled = asyncpg_statements.compiled(statement, self._engine.dialect)
        try:
            return await self._read_once(self._read_pool, compiled, values)
        except _CONNECTION_LOST:
            # The pool lends the connection it has, even one the server cut while it sat idle (a restart, a
            # failover): a read of one statement is safely made again, on a new connection.
            return await self._read_once(self._read_pool, compiled, values)

    @staticmethod
    async def _read_once(
        pool: asyncpg.Pool, compiled: asyncpg_statements.AsyncpgStatement, values: dict[str, Any]
    ) -> Sequence[Mapping[str, Any]]:
        async with pool.acquire() as connection:
            try:
                return await compiled.fetch(connection, values)
            except _CONNECTION_LOST:
                connection.terminate()  # the pool opens a new connection instead of lending this one again
                raise
