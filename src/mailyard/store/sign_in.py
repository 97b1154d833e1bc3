"""Dashboard sessions and recent failed sign-ins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import sign_in
from mailyard.store import tables
from mailyard.store.accounts import PRINCIPAL_COLUMNS, principal_of


class SqlSignIn:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create_session(self, *, token_hash: str, csrf_token: str, user_id: int, expires_at: datetime) -> None:
        statement = insert(tables.dashboard_sessions).values(
            token_hash=token_hash, csrf_token=csrf_token, user_id=user_id, created_at=self._now, expires_at=expires_at
        )
        await self._connection.execute(statement)

    async def find_session(self, token_hash: str) -> sign_in.SignedIn | None:
        sessions, users, account_table = tables.dashboard_sessions, tables.users, tables.accounts
        statement = (
            select(sessions.c.csrf_token, sessions.c.expires_at, *PRINCIPAL_COLUMNS)
            .join(users, users.c.id == sessions.c.user_id)
            .join(account_table, account_table.c.id == users.c.account_id)
            .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > self._now)
        )
        row = (await self._connection.execute(statement)).first()
        if row is None:
            return None
        return sign_in.SignedIn(principal=principal_of(row), csrf_token=row.csrf_token, expires_at=row.expires_at)

    async def delete_session(self, token_hash: str) -> None:
        sessions = tables.dashboard_sessions
        await self._connection.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    async def delete_sessions_of(self, user_id: int) -> None:
        sessions = tables.dashboard_sessions
        await self._connection.execute(delete(sessions).where(sessions.c.user_id == user_id))

    async def record_failure(self, subjects: Sequence[str]) -> list[int]:
        failures = tables.sign_in_failures
        ids = []
        for subject in subjects:
            statement = insert(failures).values(subject=subject[:400], created_at=self._now).returning(failures.c.id)
            ids.append(int((await self._connection.execute(statement)).scalar_one()))
        return ids

    async def withdraw(self, failure_ids: Sequence[int]) -> None:
        failures = tables.sign_in_failures
        await self._connection.execute(delete(failures).where(failures.c.id.in_(list(failure_ids))))

    async def recent_failures(self, subject: str, since: datetime) -> sign_in.RecentFailures:
        failures = tables.sign_in_failures
        statement = select(func.count(), func.min(failures.c.created_at)).where(
            failures.c.subject == subject[:400], failures.c.created_at > since
        )
        count, oldest = (await self._connection.execute(statement)).one()
        return sign_in.RecentFailures(count=int(count), oldest=oldest)

    async def forget_failures(self, subject: str) -> None:
        failures = tables.sign_in_failures
        await self._connection.execute(delete(failures).where(failures.c.subject == subject[:400]))

    async def forget_before(self, moment: datetime) -> None:
        failures, sessions = tables.sign_in_failures, tables.dashboard_sessions
        await self._connection.execute(delete(failures).where(failures.c.created_at < moment))
        await self._connection.execute(delete(sessions).where(sessions.c.expires_at < self._now))
