"""Rows written in one call of the driver are stored exactly as SQLAlchemy stores them, and their ids come back
in the rows' order, on both databases; such an INSERT never writes outside its transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, text

from mailyard import bootstrap
from mailyard.domain import tasks
from mailyard.store import tables
from mailyard.store.driver_inserts import MOST_ROWS_WITH_IDS, DriverInsert
from mailyard.store.tasks import SqlTasks

pytestmark = pytest.mark.timeout(60)
NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))  # not UTC: converted on the way


def task_row(account_id: int, owner_id: int, name: str) -> dict[str, Any]:
    row = SqlTasks(None, NOW).new_row(  # type: ignore[arg-type]
        account_id=account_id,
        owner_id=owner_id,
        name=name,
        kind=tasks.TaskKind.SINGLE,
        from_address="news@news.example.com",
        reply_to=None,
        subject=f"Subject of {name} ✓",
        template_id=None,
        variables={"name": "Ann", "n": 1},
        recipient_list_id=None,
        schedule=tasks.Schedule(type=tasks.TaskType.IMMEDIATE, terminated=True),
        state=tasks.TaskState.SENDING,
        unsubscribe=None,
        next_fire_at=NOW + timedelta(hours=1),
        cc=["cc@example.org"],
        bcc=None,
    )
    return row | {"requested_count": 2, "cached_count": 2, "skipped_count": 1}


async def stored_tasks(connection: Any, ids: list[int]) -> list[dict[str, Any]]:
    table = tables.tasks
    found = await connection.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id))
    return [{key: value for key, value in row._mapping.items() if key != "id"} for row in found]


async def test_rows_are_stored_as_sqlalchemy_stores_them_with_ids_in_order(
    runtime: bootstrap.Runtime, team: Any
) -> None:
    principal = team.admin.principal
    rows = [task_row(principal.account_id, principal.user_id, f"task {index}") for index in range(3)]
    async with runtime.engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
        ours = await DriverInsert(tables.tasks, returning_id=True).run(connection, rows)
        theirs = [
            (await connection.execute(insert(tables.tasks).returning(tables.tasks.c.id), [row])).scalar_one()
            for row in rows
        ]
        assert [row["name"] for row in await stored_tasks(connection, ours)] == ["task 0", "task 1", "task 2"]
        assert await stored_tasks(connection, ours) == await stored_tasks(connection, theirs)
        first = (await stored_tasks(connection, ours[:1]))[0]
    assert first["created_at"] == NOW and first["terminated"] is True and first["paused"] is False


async def test_many_rows_and_rows_without_ids(runtime: bootstrap.Runtime, team: Any) -> None:
    principal = team.admin.principal
    count = MOST_ROWS_WITH_IDS + 5  # more than one statement on SQLite
    rows = [task_row(principal.account_id, principal.user_id, f"task {index}") for index in range(count)]
    async with runtime.engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
        ids = await DriverInsert(tables.tasks, returning_id=True).run(connection, rows)
        contents = [{"task_id": task_id, "envelope_from": "", "content": b"\x00\xffbytes"} for task_id in ids]
        assert await DriverInsert(tables.submitted_messages, returning_id=False).run(connection, contents) == []
        names = [row["name"] for row in await stored_tasks(connection, ids)]
        kept = await connection.execute(select(tables.submitted_messages.c.content))
        assert {bytes(content) for (content,) in kept} == {b"\x00\xffbytes"}
    assert len(ids) == count and names == [f"task {index}" for index in range(count)]
    assert await DriverInsert(tables.tasks, returning_id=True).run(connection, []) == []


class RolledBack(Exception):
    pass


async def test_nothing_is_written_outside_its_transaction(
    runtime: bootstrap.Runtime, team: Any, database_kind: str
) -> None:
    """As the first statement: SQLite's transaction has begun (BEGIN IMMEDIATE) and the row goes with it;
    PostgreSQL's begins only with SQLAlchemy's first statement, so the INSERT refuses to run."""
    principal = team.admin.principal
    row = task_row(principal.account_id, principal.user_id, "outside")
    expected = RuntimeError if database_kind == "postgres" else RolledBack
    with pytest.raises(expected):
        async with runtime.engine.begin() as connection:
            await DriverInsert(tables.tasks, returning_id=True).run(connection, [row])
            raise RolledBack("rolled back")
    async with runtime.engine.connect() as connection:
        found = await connection.execute(select(tables.tasks.c.id).where(tables.tasks.c.name == "outside"))
        assert found.first() is None


async def test_a_column_left_out_gets_its_default_as_with_sqlalchemy(runtime: bootstrap.Runtime, team: Any) -> None:
    principal = team.admin.principal
    row = task_row(principal.account_id, principal.user_id, "defaults")
    for name in ("paused", "variables", "sent_count"):  # each has a plain default in the table
        del row[name]
    async with runtime.engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
        (task_id,) = await DriverInsert(tables.tasks, returning_id=True).run(connection, [row])
        (stored,) = await stored_tasks(connection, [task_id])
    assert (stored["paused"], stored["variables"], stored["sent_count"]) == (False, "{}", 0)


async def test_rows_of_one_column(runtime: bootstrap.Runtime) -> None:
    notes = Table("driver_insert_notes", MetaData(), Column("id", Integer, primary_key=True), Column("note", Text))
    key = "SERIAL" if runtime.engine.dialect.name == "postgresql" else "INTEGER"
    async with runtime.engine.begin() as connection:
        await connection.execute(text(f"CREATE TEMPORARY TABLE driver_insert_notes (id {key} PRIMARY KEY, note TEXT)"))
        ids = await DriverInsert(notes, returning_id=True).run(connection, [{"note": "first"}, {"note": "second"}])
        await DriverInsert(notes, returning_id=False).run(connection, [{"note": "third"}])
        found = (await connection.execute(select(notes.c.id, notes.c.note).order_by(notes.c.id))).all()
    assert [tuple(row) for row in found[:2]] == list(zip(ids, ["first", "second"], strict=True))
    assert [row.note for row in found] == ["first", "second", "third"]


async def test_times_are_stored_in_the_same_text_as_sqlalchemys(runtime: bootstrap.Runtime, team: Any) -> None:
    """On a whole second too: SQLite compares times as text, so "09:30:15" and "09:30:15.000000" would differ."""
    principal = team.admin.principal
    whole_second = NOW.replace(microsecond=0)
    row = task_row(principal.account_id, principal.user_id, "whole second") | {
        "created_at": whole_second,
        "updated_at": whole_second,
        "next_fire_at": whole_second,
    }
    async with runtime.engine.begin() as connection:
        await connection.execute(text("SELECT 1"))
        (ours,) = await DriverInsert(tables.tasks, returning_id=True).run(connection, [row])
        theirs = (await connection.execute(insert(tables.tasks).returning(tables.tasks.c.id), [row])).scalar_one()
        stored = await connection.exec_driver_sql(
            f"SELECT created_at, updated_at, next_fire_at FROM tasks WHERE id IN ({ours}, {theirs}) ORDER BY id"
        )
        first, second = stored.all()
    assert tuple(first) == tuple(second)
