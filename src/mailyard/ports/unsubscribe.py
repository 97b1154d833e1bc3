"""What unsubscribe configurations and links need from the store."""

from __future__ import annotations

from typing import Protocol

from mailyard.domain import paging, unsubscribe
from mailyard.ports.access import AccountLookup
from mailyard.ports.events import Events
from mailyard.ports.identities import SenderLookup
from mailyard.ports.store import AfterCommit
from mailyard.ports.suppressions import SuppressionAdder, SuppressionFinder
from mailyard.ports.webhooks import WebhookQueueWriter


class UnsubscribeConfigLookup(Protocol):
    async def get(self, account_id: int, address: str) -> unsubscribe.UnsubscribeConfig | None: ...


class UnsubscribeConfigs(UnsubscribeConfigLookup, Protocol):
    async def create(
        self, *, account_id: int, address: str, language: str, enabled: bool
    ) -> unsubscribe.UnsubscribeConfig: ...
    async def list(self, account_id: int, window: paging.Window) -> paging.Page[unsubscribe.UnsubscribeConfig]: ...
    async def update(self, *, account_id: int, address: str, language: str, enabled: bool) -> bool: ...
    async def delete(self, account_id: int, address: str) -> bool: ...


class LinkRepositories(Protocol):
    """What deciding whether a task's messages carry a List-Unsubscribe link reads."""

    @property
    def unsubscribe_configs(self) -> UnsubscribeConfigLookup: ...


class UnsubscribeSuppressions(SuppressionAdder, SuppressionFinder, Protocol): ...


class UnsubscribeRepositories(AfterCommit, Protocol):
    @property
    def unsubscribe_configs(self) -> UnsubscribeConfigs: ...
    @property
    def accounts(self) -> AccountLookup: ...
    @property
    def senders(self) -> SenderLookup: ...
    @property
    def suppressions(self) -> UnsubscribeSuppressions: ...
    @property
    def events(self) -> Events: ...
    @property
    def webhooks(self) -> WebhookQueueWriter: ...
