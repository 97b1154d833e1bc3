"""Sending domains and sender addresses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from mailyard.domain import identities
from mailyard.store import tables
from mailyard.store.rows import fetch_one


def _domain(row: Row[Any]) -> identities.SendingDomain:
    return identities.SendingDomain(
        id=row.id,
        account_id=row.account_id,
        domain=row.domain,
        verified=row.verified,
        dkim_selector=row.dkim_selector,
        dkim_public_value=row.dkim_public_value,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _sender(row: Row[Any]) -> identities.SenderAddress:
    return identities.SenderAddress(
        id=row.id,
        account_id=row.account_id,
        domain_id=row.domain_id,
        address=row.address,
        display_name=row.display_name,
        has_smtp_password=row.smtp_password_hash is not None,
        created_at=row.created_at,
        created_by=row.created_by,
    )


class SqlDomains:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(
        self,
        *,
        account_id: int,
        created_by: int,
        domain: str,
        verified: bool,
        dkim_public_value: str,
        sealed_dkim_key: str,
    ) -> identities.SendingDomain:
        statement = (
            insert(tables.sending_domains)
            .values(
                account_id=account_id,
                created_by=created_by,
                domain=domain,
                verified=verified,
                dkim_selector=identities.DKIM_SELECTOR,
                dkim_public_value=dkim_public_value,
                sealed_dkim_key=sealed_dkim_key,
                created_at=self._now,
            )
            .returning(*tables.sending_domains.c)
        )
        return _domain((await self._connection.execute(statement)).one())

    async def get(self, account_id: int, domain: str) -> identities.SendingDomain | None:
        domains = tables.sending_domains
        statement = select(domains).where(domains.c.account_id == account_id, domains.c.domain == domain)
        return await fetch_one(self._connection, statement, _domain)

    async def sealed_dkim_key(self, account_id: int, domain: str) -> tuple[str, str] | None:
        domains = tables.sending_domains
        statement = select(domains.c.dkim_selector, domains.c.sealed_dkim_key).where(
            domains.c.account_id == account_id, domains.c.domain == domain
        )
        row = (await self._connection.execute(statement)).first()
        return (row.dkim_selector, row.sealed_dkim_key) if row is not None and row.sealed_dkim_key else None

    async def list(self, account_id: int) -> list[identities.SendingDomain]:
        domains = tables.sending_domains
        statement = select(domains).where(domains.c.account_id == account_id).order_by(domains.c.id)
        return [_domain(row) for row in (await self._connection.execute(statement)).all()]

    async def set_verified(self, account_id: int, domain_id: int, verified: bool) -> None:
        domains = tables.sending_domains
        statement = (
            update(domains)
            .where(domains.c.account_id == account_id, domains.c.id == domain_id)
            .values(verified=verified)
        )
        await self._connection.execute(statement)

    async def delete(self, account_id: int, domain_id: int) -> None:
        domains = tables.sending_domains
        statement = delete(domains).where(domains.c.account_id == account_id, domains.c.id == domain_id)
        await self._connection.execute(statement)


class SqlSenders:
    def __init__(self, connection: AsyncConnection, now: datetime) -> None:
        self._connection = connection
        self._now = now

    async def create(
        self, *, account_id: int, created_by: int, domain_id: int, address: str, display_name: str
    ) -> identities.SenderAddress:
        statement = (
            insert(tables.sender_addresses)
            .values(
                account_id=account_id,
                created_by=created_by,
                domain_id=domain_id,
                address=address,
                display_name=display_name,
                created_at=self._now,
            )
            .returning(*tables.sender_addresses.c)
        )
        return _sender((await self._connection.execute(statement)).one())

    async def get(self, account_id: int, address: str) -> identities.SenderAddress | None:
        senders = tables.sender_addresses
        statement = select(senders).where(senders.c.account_id == account_id, senders.c.address == address)
        return await fetch_one(self._connection, statement, _sender)

    async def list(self, account_id: int) -> list[identities.SenderAddress]:
        senders = tables.sender_addresses
        statement = select(senders).where(senders.c.account_id == account_id).order_by(senders.c.id)
        return [_sender(row) for row in (await self._connection.execute(statement)).all()]

    async def count(self, account_id: int) -> int:
        senders = tables.sender_addresses
        statement = select(func.count()).select_from(senders).where(senders.c.account_id == account_id)
        return int((await self._connection.execute(statement)).scalar_one())

    async def delete(self, account_id: int, address: str) -> bool:
        senders = tables.sender_addresses
        statement = delete(senders).where(senders.c.account_id == account_id, senders.c.address == address)
        return (await self._connection.execute(statement)).rowcount > 0

    async def set_smtp_password(self, account_id: int, address: str, password_hash: str) -> bool:
        senders = tables.sender_addresses
        statement = (
            update(senders)
            .where(senders.c.account_id == account_id, senders.c.address == address)
            .values(smtp_password_hash=password_hash)
        )
        return (await self._connection.execute(statement)).rowcount > 0
