"""A read through SQLite's driver gives the rows SQLAlchemy gives, for any number of values in its lists; on
PostgreSQL it is SQLAlchemy's read. Columns that need result processing are refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, insert, select

from mailyard import bootstrap
from mailyard.store import tables
from mailyard.store.driver_selects import DriverSelect
from mailyard.store.single_sends import _ACCOUNTS_AND_SUPPRESSIONS

pytestmark = pytest.mark.timeout(60)
NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))  # not UTC: converted on the way


@pytest.mark.parametrize("now", [NOW, NOW.replace(microsecond=0)], ids=["fraction", "whole-second"])
async def test_the_rows_are_sqlalchemys_for_every_count_of_values(
    runtime: bootstrap.Runtime, team: Any, rival: Any, now: datetime
) -> None:
    """On a whole second too: SQLite compares times as text, so "09:30:15" and "09:30:15.000000" would differ."""
    ours, theirs = team.admin.principal.account_id, rival.admin.principal.account_id
    suppressed = [
        (ours, "forever@example.org", "custom", None),
        (ours, "later@example.org", "hard_bounce", now + timedelta(hours=2)),
        (ours, "expired@example.org", "custom", now - timedelta(seconds=1)),
        (ours, "at-now@example.org", "custom", now),  # the expiry is the first moment it no longer holds
        (theirs, "forever@example.org", "complaint", None),
    ]
    addresses = ["at-now@example.org", "expired@example.org", "forever@example.org", "later@example.org", "x@y.org"]
    async with runtime.engine.begin() as connection:
        await connection.execute(
            insert(tables.suppressions),
            [
                {"account_id": account, "address": address, "reason": reason, "expires_at": expires, "created_at": now}
                for account, address, reason, expires in suppressed
            ],
        )
        for accounts in ([ours], [ours, theirs], [theirs]):
            for count in (1, 3, 5):
                parameters = {"accounts": accounts, "addresses": addresses[:count], "now": now}
                through_driver = await _ACCOUNTS_AND_SUPPRESSIONS.rows(connection, parameters)
                through_sqlalchemy = await connection.execute(_ACCOUNTS_AND_SUPPRESSIONS.statement, parameters)
                assert [tuple(row) for row in through_driver] == [tuple(row) for row in through_sqlalchemy]
        both = await _ACCOUNTS_AND_SUPPRESSIONS.rows(
            connection, {"accounts": [ours, theirs], "addresses": addresses, "now": now}
        )
    found = {(row[0], row[2]) for row in both if row[2] is not None}
    assert found == {(ours, "forever@example.org"), (ours, "later@example.org"), (theirs, "forever@example.org")}


async def test_columns_that_need_result_processing_are_refused(runtime: bootstrap.Runtime) -> None:
    users = tables.users
    when = DriverSelect(select(users.c.created_at).where(users.c.id.in_(bindparam("ids", expanding=True))))
    async with runtime.engine.begin() as connection:
        if connection.dialect.name != "sqlite":
            assert await when.rows(connection, {"ids": [0]}) == []
            return
        with pytest.raises(ValueError, match="created_at"):
            await when.rows(connection, {"ids": [0]})


async def test_values_fixed_in_the_statement_are_bound_too(runtime: bootstrap.Runtime, team: Any) -> None:
    users = tables.users
    admins = DriverSelect(
        select(users.c.id)
        .where(users.c.account_id.in_(bindparam("accounts", expanding=True)), users.c.role == "admin")
        .order_by(users.c.id)
    )
    parameters = {"accounts": [team.admin.principal.account_id]}
    async with runtime.engine.begin() as connection:
        found = await admins.rows(connection, parameters)
        expected = await connection.execute(admins.statement, parameters)
        assert [tuple(row) for row in found] == [tuple(row) for row in expected]
    assert [row[0] for row in found] == [team.admin.principal.user_id]
