"""What SMTP submission needs from the store: logins, the messages as submitted, an account's daily volume."""

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
