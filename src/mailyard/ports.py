"""The small interfaces the core needs, written from the core's side; adapters implement them."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime, timedelta
from typing import Protocol

from mailyard.domain import (
    accounts,
    documents,
    identities,
    messages,
    paging,
    quotas,
    recipients,
    runs,
    sending,
    suppressions,
    tasks,
    templates,
    unsubscribe,
)
from mailyard.domain.outcomes import DeliveryOutcome
from mailyard.domain.visibility import TaskScope


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC-aware."""
        ...


class SecretCipher(Protocol):
    """Encrypts secrets (access keys, DKIM keys, SMTP passwords) before they reach the store."""

    def encrypt(self, plain: str) -> str: ...
    def decrypt(self, token: str) -> str: ...


class TokenSigner(Protocol):
    """Authenticates short messages (unsubscribe links) with a key the store never sees."""

    def sign(self, message: bytes) -> bytes:
        """A MAC of `message`; the same message always gets the same MAC."""
        ...


class PasswordHasher(Protocol):
    """Slow salted hashes for passwords (dashboard users, SMTP submission); never reversible."""

    def hash(self, password: str) -> str: ...

    def verify(self, stored_hash: str, password: str) -> bool: ...

    def needs_rehash(self, stored_hash: str) -> bool: ...


class DkimKeyMaker(Protocol):
    def generate(self) -> tuple[str, str]:
        """A new (private key PEM, DNS TXT value) pair."""
        ...


class DnsResolver(Protocol):
    async def txt_records(self, name: str) -> list[str]:
        """The TXT values published at a name; empty when there are none or the lookup fails."""
        ...


class AccountRepository(Protocol):
    async def create(self, *, name: str, time_zone: str, daily_quota: int | None) -> accounts.Account: ...
    async def get(self, account_id: int) -> accounts.Account | None: ...
    async def get_by_name(self, name: str) -> accounts.Account | None: ...
    async def count(self) -> int: ...
    async def names(self, *, limit: int) -> list[str]: ...
    async def update(self, account_id: int, *, time_zone: str, daily_quota: int | None) -> accounts.Account: ...


class UserRepository(Protocol):
    async def create(self, *, account_id: int, nickname: str, role: accounts.Role) -> accounts.User: ...
    async def get(self, account_id: int, user_id: int) -> accounts.User | None: ...
    async def get_by_nickname(self, account_id: int, nickname: str) -> accounts.User | None: ...
    async def list(self, account_id: int) -> list[accounts.User]: ...


class AccessKeyRepository(Protocol):
    async def create(self, *, user: accounts.User, secret_id: str, sealed_secret: str) -> accounts.AccessKey: ...
    async def find(self, secret_id: str) -> tuple[str, accounts.Principal] | None:
        """The sealed secret and the principal of a key, by its public id."""
        ...

    async def list(self, account_id: int) -> list[accounts.AccessKey]: ...
    async def delete(self, account_id: int, key_id: int) -> bool: ...


class DomainRepository(Protocol):
    async def create(
        self, *, account_id: int, domain: str, verified: bool, dkim_public_value: str, sealed_dkim_key: str
    ) -> identities.SendingDomain: ...
    async def get(self, account_id: int, domain: str) -> identities.SendingDomain | None: ...
    async def sealed_dkim_key(self, account_id: int, domain: str) -> tuple[str, str] | None:
        """The DKIM selector and encrypted private key of a domain of the account, if it has one."""
        ...

    async def list(self, account_id: int) -> list[identities.SendingDomain]: ...
    async def set_verified(self, account_id: int, domain_id: int, verified: bool) -> None: ...
    async def delete(self, account_id: int, domain_id: int) -> None: ...


class SenderRepository(Protocol):
    async def create(
        self, *, account_id: int, domain_id: int, address: str, display_name: str
    ) -> identities.SenderAddress: ...
    async def get(self, account_id: int, address: str) -> identities.SenderAddress | None: ...
    async def list(self, account_id: int) -> list[identities.SenderAddress]: ...
    async def count(self, account_id: int) -> int: ...
    async def delete(self, account_id: int, address: str) -> bool: ...
    async def set_smtp_password(self, account_id: int, address: str, sealed_password: str) -> bool: ...


class TemplateRepository(Protocol):
    async def create(
        self,
        *,
        account_id: int,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
        review_status: templates.ReviewStatus,
    ) -> templates.Template: ...
    async def get(self, account_id: int, template_id: int) -> templates.Template | None: ...
    async def list(self, account_id: int, window: paging.Window) -> paging.Page[templates.Template]: ...
    async def update(
        self,
        *,
        account_id: int,
        template_id: int,
        name: str,
        subject: str | None,
        text: str | None,
        html: str | None,
        review_status: templates.ReviewStatus,
    ) -> templates.Template | None: ...
    async def delete(self, account_id: int, template_id: int) -> bool: ...


class RecipientListRepository(Protocol):
    async def create(self, *, account_id: int, name: str, description: str) -> recipients.RecipientList: ...
    async def get(self, account_id: int, list_id: int) -> recipients.RecipientList | None: ...
    async def get_by_name(self, account_id: int, name: str) -> recipients.RecipientList | None: ...
    async def list(
        self, account_id: int, window: paging.Window, *, keyword: str | None, non_empty: bool | None
    ) -> paging.Page[recipients.RecipientList]: ...
    async def delete(self, account_id: int, list_id: int) -> bool: ...
    async def add_recipients(self, list_id: int, rows: builtins.list[recipients.RecipientInput]) -> None: ...
    async def recipients_after(
        self, list_id: int, after_id: int, limit: int
    ) -> builtins.list[recipients.Recipient]: ...
    async def list_recipients(
        self,
        list_id: int,
        window: paging.Window,
        *,
        address_contains: str | None = None,
        valid: bool | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
    ) -> paging.Page[recipients.Recipient]: ...


class TaskRepository(Protocol):
    async def create(
        self,
        *,
        account_id: int,
        owner_id: int,
        draft: tasks.TaskDraft,
        name: str,
        next_fire_at: datetime | None,
    ) -> tasks.Task: ...
    async def get(self, account_id: int, task_id: int) -> tasks.Task | None: ...
    async def grants(self, task_id: int) -> frozenset[int]: ...
    async def set_paused(self, task_id: int, paused: bool) -> None: ...
    async def set_state(
        self,
        task_id: int,
        state: tasks.TaskState,
        *,
        error_message: str | None = None,
        terminated: bool = False,
    ) -> None: ...
    async def set_next_fire_at(self, task_id: int, next_fire_at: datetime | None) -> None: ...
    async def grant(self, task_id: int, user_id: int) -> None: ...
    async def revoke(self, task_id: int, user_id: int) -> bool: ...
    async def uses_list(self, list_id: int) -> bool: ...
    async def uses_template(self, template_id: int) -> bool: ...
    async def due(self, now: datetime, limit: int) -> builtins.list[tasks.Task]:
        """Tasks whose next fire time has come and that may fire: not paused, cancelled or in error."""
        ...


class RunRepository(Protocol):
    async def start(self, task: tasks.Task, *, fire_at: datetime, kind: runs.RunKind) -> runs.Run | None:
        """Create the run and its ledger rows; None when that fire time already has a run."""
        ...

    async def cancel_queued(self, task_id: int) -> int:
        """Skip every still-queued delivery of a task and close its runs; the number skipped."""
        ...

    async def get(self, task_id: int, run_id: int) -> runs.Run | None: ...
    async def latest(self, task_id: int) -> runs.Run | None: ...
    async def active(self, task_id: int) -> runs.Run | None: ...
    async def list(self, task_id: int, window: paging.Window) -> paging.Page[runs.Run]: ...
    async def deliveries(
        self, task_id: int, window: paging.Window, *, run_id: int | None, state: runs.DeliveryState | None
    ) -> paging.Page[runs.Delivery]: ...


class SuppressionRepository(Protocol):
    async def add(
        self,
        *,
        account_id: int,
        address: str,
        reason: suppressions.SuppressionReason,
        expires_at: datetime | None,
    ) -> suppressions.Suppression: ...
    async def list(
        self,
        account_id: int,
        window: paging.Window,
        *,
        reason: suppressions.SuppressionReason | None,
        address_contains: str | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
        active: bool | None = None,
    ) -> paging.Page[suppressions.Suppression]:
        """Newest first; `active` keeps entries whose expiry has (False) or has not (True) passed."""
        ...

    async def get(self, account_id: int, suppression_id: int) -> suppressions.Suppression | None: ...
    async def find(
        self, account_id: int, address: str, reason: suppressions.SuppressionReason
    ) -> suppressions.Suppression | None: ...
    async def update(
        self, account_id: int, suppression_id: int, *, address: str, expires_at: datetime | None
    ) -> bool: ...
    async def remove(
        self, account_id: int, addresses: builtins.list[str], reason: suppressions.SuppressionReason
    ) -> int: ...


class UnsubscribeConfigRepository(Protocol):
    async def create(
        self, *, account_id: int, address: str, language: str, enabled: bool
    ) -> unsubscribe.UnsubscribeConfig: ...
    async def get(self, account_id: int, address: str) -> unsubscribe.UnsubscribeConfig | None: ...
    async def list(self, account_id: int, window: paging.Window) -> paging.Page[unsubscribe.UnsubscribeConfig]: ...
    async def update(self, *, account_id: int, address: str, language: str, enabled: bool) -> bool: ...
    async def delete(self, account_id: int, address: str) -> bool: ...


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

    async def record(
        self, *, owner: str, results: Sequence[sending.DeliveryResult]
    ) -> builtins.list[sending.FinishedRun]:
        """Write outcomes of deliveries still leased by `owner`, with task and run counters; the runs that
        have nothing left to send are closed and returned."""
        ...


class MessageRepository(Protocol):
    """Single sends (SendEmail) and what the ledger says about them."""

    async def create_single(
        self, *, account_id: int, owner_id: int, send: messages.SingleSend, name: str
    ) -> tuple[tasks.Task, runs.Run]:
        """Store the task (kind single, sending), its run and one queued delivery per address, with counters;
        suppressed addresses are skipped and counted as such, like a list's."""
        ...

    async def attachments(self, task_id: int) -> builtins.list[messages.Attachment]: ...
    async def statuses(
        self, scope: TaskScope, query: messages.StatusQuery, window: paging.Window
    ) -> builtins.list[messages.EmailStatus]: ...
    async def volumes(self, scope: TaskScope, query: messages.VolumeQuery) -> builtins.list[messages.Volume]:
        """Ledger counts per local day that has any, oldest first."""
        ...


class QuotaRepository(Protocol):
    """Daily quotas of accounts, counted from the ledger."""

    async def budgets(self) -> builtins.list[quotas.QuotaBudget]:
        """Today's budget of every account that has a quota and a sending or suspended task; held (locked)
        until the transaction ends so concurrent claims cannot overshoot."""
        ...

    async def suspend(self, account_ids: Collection[int]) -> None:
        """Sending tasks of these accounts become suspended."""
        ...

    async def resume(self, account_ids: Collection[int]) -> None:
        """Suspended tasks of these accounts send again."""
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


class OutboxRepository(Protocol):
    async def list(
        self, scope: TaskScope, window: paging.Window, *, task_id: int | None
    ) -> paging.Page[sending.OutboxMessage]: ...
    async def get(self, scope: TaskScope, message_id: int) -> sending.OutboxMessage | None: ...


class ComposedMessage(Protocol):
    """A message compiled once per run; rendering a recipient's copy only fills in its values."""

    def render(self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime) -> bytes: ...
    def render_for_smtp(
        self, *, recipient: str, values: Mapping[str, str], message_id: str, date: datetime
    ) -> bytes: ...


class MessageComposer(Protocol):
    def compile(self, draft: sending.MessageDraft) -> ComposedMessage:
        """Raises ValueError when the draft cannot make a valid message."""
        ...


class RelayGate(Protocol):
    """Admits messages to relays with a daily quota: one send taken per message, given back if not accepted."""

    def take(self, relay: str) -> bool: ...
    def give(self, relay: str) -> None: ...


class Mailer(Protocol):
    """Delivers one letter; SMTP replies and faults come back classified, never raised."""

    @property
    def takes_smtp_data(self) -> bool:
        """True when letters carry SMTP DATA (dot-stuffed, final dot) rather than plain RFC 5322 bytes."""
        ...

    @property
    def relay_quotas(self) -> Sequence[quotas.RelayQuota]:
        """Every relay's daily quota; empty when the mailer sends through no relay."""
        ...

    async def deliver(self, letter: sending.Letter, gate: RelayGate | None = None) -> DeliveryOutcome:
        """With a `gate`, a relay with a quota is used only when the gate admits the message."""
        ...

    async def close(self) -> None: ...


class Repositories(Protocol):
    """Everything reachable inside one transaction."""

    accounts: AccountRepository
    users: UserRepository
    keys: AccessKeyRepository
    domains: DomainRepository
    senders: SenderRepository
    templates: TemplateRepository
    lists: RecipientListRepository
    tasks: TaskRepository
    runs: RunRepository
    suppressions: SuppressionRepository
    unsubscribe_configs: UnsubscribeConfigRepository
    queue: DeliveryQueue
    quotas: QuotaRepository
    outbox: OutboxRepository
    messages: MessageRepository


class TaskListing(Protocol):
    """Pages of the batch tasks a scope sees, newest first, with the total that matched. Each page is one
    statement, read outside any unit of work: listings are by far the most frequent request."""

    async def page(
        self, scope: TaskScope, task_filter: tasks.TaskFilter, window: paging.Window
    ) -> paging.Page[tasks.Task]: ...
    async def documents(
        self,
        scope: TaskScope,
        task_filter: tasks.TaskFilter,
        window: paging.Window,
        document: documents.Document,
        time_zone: str,
    ) -> documents.DocumentPage:
        """A page with each task rendered as `document` (times in `time_zone`) where the rows are."""
        ...


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Repositories]:
        """A unit of work: committed when the block exits normally, rolled back on an exception."""
        ...

    @property
    def task_listing(self) -> TaskListing: ...
