"""What delivering runs needs from the store: the queue, quotas, and what a run's message is made of."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Protocol

from mailyard.domain import messages, paging, quotas, runs, sending
from mailyard.ports.access import QuotaRelease
from mailyard.ports.events import EventRecordingRepositories
from mailyard.ports.identities import SenderLookup
from mailyard.ports.scheduling import ActiveRuns, TaskProgress
from mailyard.ports.submissions import SubmittedContentRepositories
from mailyard.ports.suppressions import SuppressionAdder
from mailyard.ports.templates import TemplateLookup
from mailyard.ports.tracking import TrackingSettings
from mailyard.ports.unsubscribe import LinkRepositories


class DeliveryQueue(Protocol):
    """The ledger seen as a work queue: leases on queued deliveries and outcomes recorded in batches."""

    async def claim(
        self,
        *,
        owner: str,
        limit: int,
        lease_for: timedelta,
        account_id: int | None = None,
        exclude_accounts: Collection[int] = (),
    ) -> builtins.list[sending.ClaimedDelivery]:
        """Lease up to `limit` due deliveries of tasks that may send (expired leases included), only of
        `account_id` when given, never of `exclude_accounts`."""
        ...

    async def renew(self, *, owner: str, delivery_ids: Sequence[int], lease_for: timedelta) -> int: ...
    async def release(self, *, owner: str, delivery_ids: Sequence[int]) -> int:
        """Put leased deliveries back in the queue untouched, e.g. when a worker stops."""
        ...

    async def depth(self) -> sending.QueueDepth: ...
    async def skip_suppressed(self, *, owner: str, claimed: Sequence[sending.ClaimedDelivery]) -> sending.SkippedBatch:
        """Skip the claimed deliveries whose address is suppressed by now, counted as skipped; the runs closed."""
        ...

    async def record(self, *, owner: str, results: Sequence[sending.DeliveryResult]) -> sending.RecordedBatch:
        """Write outcomes of deliveries still leased by `owner`, with task and run counters; the runs that
        have nothing left to send are closed. Returns the results written and the runs closed."""
        ...


class SendingQuotas(QuotaRelease, Protocol):
    """Daily quotas of accounts (counted from the ledger) and of relays (reserved in blocks)."""

    async def budgets(self) -> builtins.list[quotas.QuotaBudget]:
        """Today's budget of every account that has a quota and a sending or suspended task; held (locked)
        until the transaction ends so concurrent claims cannot overshoot."""
        ...

    async def suspend(self, account_ids: Collection[int]) -> None:
        """Sending tasks of these accounts become suspended."""
        ...

    async def suspend_all(self) -> None:
        """Every sending task becomes suspended: no relay may send any more today."""
        ...

    async def resume_unlimited(self) -> None:
        """Suspended tasks of accounts without a quota send again (the relays may send again)."""
        ...

    async def reserve_relay(self, relay: str, daily_quota: int, day: date, want: int) -> int:
        """Take up to `want` of the relay's sends for `day` out of what is left; how many were granted."""
        ...

    async def return_relay(self, relay: str, day: date, count: int) -> None:
        """Give back reserved sends that were not used."""
        ...

    async def relay_reserved(self, relay: str, day: date) -> int:
        """The relay's sends for `day` that were used or are held by workers."""
        ...


class RunLedger(ActiveRuns, Protocol):
    async def deliveries(
        self, task_id: int, window: paging.Window, *, run_id: int | None, state: runs.DeliveryState | None
    ) -> paging.Page[runs.Delivery]: ...


class DkimKeys(Protocol):
    async def sealed_dkim_key(self, account_id: int, domain: str) -> tuple[str, str] | None:
        """The DKIM selector and encrypted private key of a domain of the account, if it has one."""
        ...


class SingleSendParts(Protocol):
    async def attachments(self, task_id: int) -> builtins.list[messages.Attachment]: ...


class QuotaRepositories(Protocol):
    @property
    def quotas(self) -> SendingQuotas: ...


class ClaimRepositories(QuotaRepositories, Protocol):
    @property
    def queue(self) -> DeliveryQueue: ...


class DkimKeyRepositories(Protocol):
    @property
    def domains(self) -> DkimKeys: ...


class SendingRepositories(
    ClaimRepositories,
    LinkRepositories,
    DkimKeyRepositories,
    EventRecordingRepositories,
    SubmittedContentRepositories,
    Protocol,
):
    @property
    def tasks(self) -> TaskProgress: ...
    @property
    def runs(self) -> RunLedger: ...
    @property
    def templates(self) -> TemplateLookup: ...
    @property
    def senders(self) -> SenderLookup: ...
    @property
    def suppressions(self) -> SuppressionAdder: ...
    @property
    def single_sends(self) -> SingleSendParts: ...
    @property
    def tracking(self) -> TrackingSettings: ...
