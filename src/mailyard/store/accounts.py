"""Accounts, users and access keys."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import accounts
from mailyard.store import tables
from mailyard.store.rows import fetch_one


def _account(row: Row[Any]) -> accounts.Account:
    return accounts.Account(
        id=row.id,
        name=row.name,
        time_zone=row.time_zone,
        daily_quota=row.daily_quota,
        created_at=row.created_at,
    )


def _user(row: Row[Any]) -> accounts.User:
    return accounts.User(
        id=row.id,
        account_id=row.account_id,
        nickname=row.nickname,
        role=accounts.Role(row.role),
        created_at=row.created_at,
    )


# What a principal is read from, in a select joining users and accounts.
PRINCIPAL_COLUMNS = (
    tables.users.c.id.label("user_id"),
    tables.users.c.nickname,
    tables.users.c.role,
    tables.accounts.c.id.label("account_id"),
    tables.accounts.c.name.label("account_name"),
    tables.accounts.c.time_zone,
)


def principal_of(row: Any) -> accounts.Principal:
    """The principal in a row selected with PRINCIPAL_COLUMNS (typed rows of any width)."""
    return accounts.Principal(
        account_id=row.account_id,
        account_name=row.account_name,
        user_id=row.user_id,
        nickname=row.nickname,
        role=accounts.Role(row.role),
        time_zone=row.time_zone,
    )


class SqlAccounts:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(self, *, name: str, time_zone: str, daily_quota: int | None) -> accounts.Account:
        statement = (
            insert(tables.accounts)
            .values(name=name, time_zone=time_zone, daily_quota=daily_quota, created_at=self._now)
            .returning(*tables.accounts.c)
        )
        return _account((await self._connection.execute(statement)).one())

    async def get(self, account_id: int) -> accounts.Account | None:
        statement = select(tables.accounts).where(tables.accounts.c.id == account_id)
        return await fetch_one(self._connection, statement, _account)

    async def get_by_name(self, name: str) -> accounts.Account | None:
        statement = select(tables.accounts).where(tables.accounts.c.name == name)
        return await fetch_one(self._connection, statement, _account)

    async def count(self) -> int:
        return int((await self._connection.execute(select(func.count()).select_from(tables.accounts))).scalar_one())

    async def names(self, *, limit: int) -> list[str]:
        statement = select(tables.accounts.c.name).order_by(tables.accounts.c.id).limit(limit)
        return list((await self._connection.execute(statement)).scalars())

    async def update(self, account_id: int, *, time_zone: str, daily_quota: int | None) -> accounts.Account:
        statement = (
            update(tables.accounts)
            .where(tables.accounts.c.id == account_id)
            .values(time_zone=time_zone, daily_quota=daily_quota)
            .returning(*tables.accounts.c)
        )
        return _account((await self._connection.execute(statement)).one())


class SqlUsers:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(self, *, account_id: int, nickname: str, role: accounts.Role) -> accounts.User:
        statement = (
            insert(tables.users)
            .values(account_id=account_id, nickname=nickname, role=role.value, created_at=self._now)
            .returning(*tables.users.c)
        )
        return _user((await self._connection.execute(statement)).one())

    async def get(self, account_id: int, user_id: int) -> accounts.User | None:
        users = tables.users
        statement = select(users).where(users.c.account_id == account_id, users.c.id == user_id)
        return await fetch_one(self._connection, statement, _user)

    async def get_by_nickname(self, account_id: int, nickname: str) -> accounts.User | None:
        users = tables.users
        statement = select(users).where(users.c.account_id == account_id, users.c.nickname == nickname)
        return await fetch_one(self._connection, statement, _user)

    async def list(self, account_id: int) -> list[accounts.User]:
        users = tables.users
        statement = select(users).where(users.c.account_id == account_id).order_by(users.c.id)
        return [_user(row) for row in (await self._connection.execute(statement)).all()]

    async def list_locked(self, account_id: int) -> builtins.list[accounts.User]:
        users = tables.users
        statement = select(users).where(users.c.account_id == account_id).order_by(users.c.id).with_for_update()
        return [_user(row) for row in (await self._connection.execute(statement)).all()]

    async def set_role(self, account_id: int, user_id: int, role: accounts.Role) -> accounts.User:
        users = tables.users
        statement = (
            update(users)
            .where(users.c.account_id == account_id, users.c.id == user_id)
            .values(role=role.value)
            .returning(*users.c)
        )
        return _user((await self._connection.execute(statement)).one())

    async def password_hash(self, account_id: int, user_id: int) -> str | None:
        users = tables.users
        statement = select(users.c.password_hash).where(users.c.account_id == account_id, users.c.id == user_id)
        found: str | None = (await self._connection.execute(statement)).scalar_one_or_none()
        return found

    async def set_password_hash(self, account_id: int, user_id: int, password_hash: str) -> None:
        users = tables.users
        statement = (
            update(users)
            .where(users.c.account_id == account_id, users.c.id == user_id)
            .values(password_hash=password_hash)
        )
        await self._connection.execute(statement)


class SqlAccessKeys:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(self, *, user: accounts.User, secret_id: str, sealed_secret: str) -> accounts.AccessKey:
        statement = (
            insert(tables.access_keys)
            .values(
                user_id=user.id,
                account_id=user.account_id,
                secret_id=secret_id,
                sealed_secret=sealed_secret,
                created_at=self._now,
            )
            .returning(tables.access_keys.c.id)
        )
        key_id = (await self._connection.execute(statement)).scalar_one()
        return accounts.AccessKey(
            id=key_id, user_id=user.id, account_id=user.account_id, secret_id=secret_id, created_at=self._now
        )

    async def find(self, secret_id: str) -> tuple[str, accounts.Principal] | None:
        keys, users, account_table = tables.access_keys, tables.users, tables.accounts
        statement = (
            select(keys.c.sealed_secret, *PRINCIPAL_COLUMNS)
            .join(users, users.c.id == keys.c.user_id)
            .join(account_table, account_table.c.id == keys.c.account_id)
            .where(keys.c.secret_id == secret_id)
        )
        row = (await self._connection.execute(statement)).first()
        if row is None:
            return None
        return row.sealed_secret, principal_of(row)

    async def list(self, account_id: int) -> list[accounts.AccessKey]:
        keys = tables.access_keys
        statement = select(keys).where(keys.c.account_id == account_id).order_by(keys.c.id)
        return [
            accounts.AccessKey(
                id=row.id,
                user_id=row.user_id,
                account_id=row.account_id,
                secret_id=row.secret_id,
                created_at=row.created_at,
            )
            for row in (await self._connection.execute(statement)).all()
        ]

    async def delete(self, account_id: int, key_id: int) -> bool:
        keys = tables.access_keys
        statement = delete(keys).where(keys.c.account_id == account_id, keys.c.id == key_id)
        return (await self._connection.execute(statement)).rowcount > 0
