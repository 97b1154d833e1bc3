"""What handling returned mail needs from the store: the deliveries it names, bounces in the ledger, the
installation's sending domains, and mail kept unread."""

from __future__ import annotations

from typing import Protocol

from mailyard.domain import inbound, paging
from mailyard.ports.access import AccountLookup
from mailyard.ports.events import Events
from mailyard.ports.store import AfterCommit
from mailyard.ports.suppressions import SuppressionAdder, SuppressionFinder
from mailyard.ports.webhooks import WebhookQueueWriter


class Inbound(Protocol):
    async def delivery(
        self, delivery_id: int, *, run_id: int | None = None, run_key: str | None = None
    ) -> inbound.BouncedDelivery | None:
        """The delivery; with `run_id`, only when it belongs to that run (whose Message-ID key is `run_key`)."""
        ...

    async def delivery_by_message_id(self, message_id: str, sending_domain: str) -> inbound.BouncedDelivery | None:
        """The delivery whose copy had this Message-ID, when it was sent from `sending_domain`."""
        ...

    async def mark_bounced(self, delivery_id: int, reason: str) -> bool:
        """A sent delivery becomes failed, with its counters; False when it was not sent."""
        ...

    async def domain_in_use(self, domain: str) -> bool:
        """Whether any account of the installation sends from this domain."""
        ...

    async def keep(
        self, *, mail_from: str, recipient: str, kind: inbound.ReportKind, problem: str, content: bytes
    ) -> int: ...
    async def kept(self, window: paging.Window) -> paging.Page[inbound.KeptMessage]: ...


class BounceSuppressions(SuppressionAdder, SuppressionFinder, Protocol): ...


class InboundRepositories(AfterCommit, Protocol):
    @property
    def inbound(self) -> Inbound: ...
    @property
    def events(self) -> Events: ...
    @property
    def webhooks(self) -> WebhookQueueWriter: ...
    @property
    def accounts(self) -> AccountLookup: ...
    @property
    def suppressions(self) -> BounceSuppressions: ...
