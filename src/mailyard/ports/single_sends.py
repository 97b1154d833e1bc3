"""What single sends (SendEmail) need from the store."""

from __future__ import annotations

from typing import Protocol

from mailyard.domain import messages, runs, tasks
from mailyard.ports.events import EventRepositories
from mailyard.ports.identities import SenderLookup
from mailyard.ports.reporting import ReportingRepositories
from mailyard.ports.templates import TemplateLookup


class SingleSends(Protocol):
    async def create(
        self, *, account_id: int, owner_id: int, send: messages.SingleSend, name: str
    ) -> tuple[tasks.Task, runs.Run]:
        """Store the task (kind single, sending), its run and one queued delivery per address, with counters;
        suppressed addresses are skipped and counted as such, like a list's."""
        ...


class SingleSendRepositories(ReportingRepositories, EventRepositories, Protocol):
    """Sending one, and reading the statuses of its recipients."""

    @property
    def single_sends(self) -> SingleSends: ...
    @property
    def senders(self) -> SenderLookup: ...
    @property
    def templates(self) -> TemplateLookup: ...
