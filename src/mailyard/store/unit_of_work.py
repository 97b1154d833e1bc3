"""The SQL store: one transaction per unit of work, with every repository bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mailyard.ports.clock import Clock
from mailyard.store.accounts import SqlAccessKeys, SqlAccounts, SqlUsers
from mailyard.store.engagement_reads import SqlEngagementReads
from mailyard.store.events import SqlEvents
from mailyard.store.identities import SqlDomains, SqlSenders
from mailyard.store.inbound import SqlInbound
from mailyard.store.outbox import SqlOutboxMessages
from mailyard.store.queue import ClaimFloor, SqlDeliveryQueue
from mailyard.store.quotas import SqlQuotas
from mailyard.store.recipients import SqlRecipientLists
from mailyard.store.reporting import SqlReporting
from mailyard.store.retention import SqlRetention
from mailyard.store.runs import SqlRuns
from mailyard.store.sealed_secrets import SqlSealedSecrets
from mailyard.store.sign_in import SqlSignIn
from mailyard.store.single_sends import SqlSingleSends
from mailyard.store.submissions import SqlSubmissions
from mailyard.store.suppressions import SqlSuppressions
from mailyard.store.task_reads import SqlTaskListing
from mailyard.store.tasks import SqlTasks
from mailyard.store.templates import SqlTemplates
from mailyard.store.tracking import SqlTracking
from mailyard.store.unsubscribe_configs import SqlUnsubscribeConfigs
from mailyard.store.webhooks import SqlWebhooks


class SqlRepositories:
    """Every repository of one transaction; `now` is fixed for the whole unit of work."""

    def __init__(self, connection: AsyncConnection, now: datetime, claim_floor: ClaimFloor | None = None) -> None:
        self.accounts = SqlAccounts(connection, now)
        self.users = SqlUsers(connection, now)
        self.keys = SqlAccessKeys(connection, now)
        self.domains = SqlDomains(connection, now)
        self.senders = SqlSenders(connection, now)
        self.templates = SqlTemplates(connection, now)
        self.lists = SqlRecipientLists(connection, now)
        self.tasks = SqlTasks(connection, now)
        self.runs = SqlRuns(connection, now)
        self.suppressions = SqlSuppressions(connection, now)
        self.unsubscribe_configs = SqlUnsubscribeConfigs(connection, now)
        self.queue = SqlDeliveryQueue(connection, now, claim_floor)
        self.quotas = SqlQuotas(connection, now)
        self.outbox = SqlOutboxMessages(connection, now)
        self.single_sends = SqlSingleSends(connection, now)
        self.reporting = SqlReporting(connection, now)
        self.events = SqlEvents(connection, now)
        self.engagement_reads = SqlEngagementReads(connection, now)
        self.inbound = SqlInbound(connection, now)
        self.submissions = SqlSubmissions(connection, now)
        self.sign_in = SqlSignIn(connection, now)
        self.tracking = SqlTracking(connection, now)
        self.webhooks = SqlWebhooks(connection, now)
        self.sealed = SqlSealedSecrets(connection)
        self.retention = SqlRetention(connection)
        self.committed_actions: list[Callable[[], None]] = []

    def after_commit(self, action: Callable[[], None]) -> None:
        self.committed_actions.append(action)


class SqlStore:
    """The `Store` port over an async SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine, clock: Clock, read_pool: asyncpg.Pool | None = None) -> None:
        self.engine = engine
        self._clock = clock
        self._claim_floor = ClaimFloor()
        self._read_pool = read_pool
        self._task_listing = SqlTaskListing(engine, read_pool)

    @property
    def task_listing(self) -> SqlTaskListing:
        return self._task_listing

    async def close(self) -> None:
        """Close the read pool; the engine is the caller's."""
        if self._read_pool is not None:
            await self._read_pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlRepositories]:
        async with self.engine.begin() as connection:
            repositories = SqlRepositories(connection, self._clock.now(), self._claim_floor)
            yield repositories
        for action in repositories.committed_actions:  # reached only when the commit succeeded
            action()
