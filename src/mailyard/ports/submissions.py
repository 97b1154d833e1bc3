"""What SMTP submission needs from the store (logins, the messages as submitted, an account's daily volume) and
from the counts behind its limits."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mailyard.domain import submissions
from mailyard.ports.access import Accounts
from mailyard.ports.identities import Domains, Senders
from mailyard.ports.single_sends import SingleSendRepositories


class SubmittedContent(Protocol):
    async def content(self, task_id: int) -> tuple[str, bytes] | None:
        """The envelope sender and the message of a submitted single send; None for a templated one."""
        ...


class Submissions(SubmittedContent, Protocol):
    async def logins(self, address: str) -> builtins.list[submissions.SubmissionLogin]:
        """Every sender address with this name and an SMTP password (one per account that has it)."""
        ...

    async def owner(self, account_id: int) -> int | None:
        """The user that owns the account's submitted messages: its first admin."""
        ...

    async def store_contents(self, rows: Sequence[tuple[int, str, bytes]]) -> None:
        """Keep submitted messages as sent: (task id, envelope sender (empty for a null sender), message)."""
        ...

    async def committed_since(self, account_id: int, since: datetime) -> int:
        """Deliveries of the account sent since `since` or still waiting to be sent (what a quota counts)."""
        ...


class SubmissionCounts(Protocol):
    """The counts behind the submission limits: in this process, or shared by every process through Redis."""

    async def full(self, window: submissions.LimitWindow, key: str, now: datetime) -> bool:
        """True when `key` had `window.limit` events within the window before `now`."""
        ...

    async def add(self, window: submissions.LimitWindow, key: str, now: datetime) -> None: ...

    async def take(self, hits: Sequence[tuple[submissions.LimitWindow, str]], now: datetime) -> int | None:
        """Count one event for every (window, key) at once, or, when one of them is full, none: then the index
        of the first full one."""
        ...


class SubmittedContentRepositories(Protocol):
    @property
    def submissions(self) -> SubmittedContent: ...


class SubmissionRepositories(SingleSendRepositories, Protocol):
    """Signing in, and storing a submitted message as a single send."""

    @property
    def submissions(self) -> Submissions: ...
    @property
    def accounts(self) -> Accounts: ...
    @property
    def domains(self) -> Domains: ...
    @property
    def senders(self) -> Senders: ...
