"""The SQL store: one transaction per unit of work, with every repository bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mailyard import ports
from mailyard.store.accounts import SqlAccessKeys, SqlAccounts, SqlUsers
from mailyard.store.identities import SqlDomains, SqlSenders
from mailyard.store.messages import SqlMessages
from mailyard.store.outbox import SqlOutboxMessages
from mailyard.store.queue import ClaimFloor, SqlDeliveryQueue
from mailyard.store.quotas import SqlQuotas
from mailyard.store.recipients import SqlRecipientLists
from mailyard.store.runs import SqlRuns
from mailyard.store.suppressions import SqlSuppressions
from mailyard.store.task_reads import SqlTaskListing
from mailyard.store.tasks import SqlTasks
from mailyard.store.templates import SqlTemplates
from mailyard.store.unsubscribe_configs import SqlUnsubscribeConfigs


class SqlRepositories:
    """Every repository of one transaction; `now` is fixed for the whole unit of work."""

    def __init__(self, connection: AsyncConnection, now: datetime, claim_floor: ClaimFloor | None = None) -> None:
        self.accounts: ports.AccountRepository = SqlAccounts(connection, now)
        self.users: ports.UserRepository = SqlUsers(connection, now)
        self.keys: ports.AccessKeyRepository = SqlAccessKeys(connection, now)
        self.domains: ports.DomainRepository = SqlDomains(connection, now)
        self.senders: ports.SenderRepository = SqlSenders(connection, now)
        self.templates: ports.TemplateRepository = SqlTemplates(connection, now)
        self.lists: ports.RecipientListRepository = SqlRecipientLists(connection, now)
        self.tasks: ports.TaskRepository = SqlTasks(connection, now)
        self.runs: ports.RunRepository = SqlRuns(connection, now)
        self.suppressions: ports.SuppressionRepository = SqlSuppressions(connection, now)
        self.unsubscribe_configs: ports.UnsubscribeConfigRepository = SqlUnsubscribeConfigs(connection, now)
        self.queue: ports.DeliveryQueue = SqlDeliveryQueue(connection, now, claim_floor)
        self.quotas: ports.QuotaRepository = SqlQuotas(connection, now)
        self.outbox: ports.OutboxRepository = SqlOutboxMessages(connection, now)
        self.messages: ports.MessageRepository = SqlMessages(connection, now)


class SqlStore:
    """The `Store` port over an async SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine, clock: ports.Clock, read_pool: asyncpg.Pool | None = None) -> None:
        self.engine = engine
        self._clock = clock
        self._claim_floor = ClaimFloor()
        self._read_pool = read_pool
        self._task_listing = SqlTaskListing(engine, read_pool)

    @property
    def task_listing(self) -> ports.TaskListing:
        return self._task_listing

    async def close(self) -> None:
        """Close the read pool; the engine is the caller's."""
        if self._read_pool is not None:
            await self._read_pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[ports.Repositories]:
        async with self.engine.begin() as connection:
            yield SqlRepositories(connection, self._clock.now(), self._claim_floor)
