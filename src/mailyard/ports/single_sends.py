"""What single sends (SendEmail) need from the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mailyard.domain import messages
from mailyard.ports.events import EventRepositories
from mailyard.ports.identities import SenderLookup
from mailyard.ports.reporting import ReportingRepositories
from mailyard.ports.templates import TemplateLookup


class SingleSends(Protocol):
    async def create(self, sends: Sequence[messages.OwnedSingleSend]) -> list[tuple[int, datetime]]:
        """Store each send's task (kind single, sending), its run and one queued delivery per address, with
        counters, a few statements for the whole group; suppressed addresses are skipped and counted as such,
        like a list's. The (task id, creation time) of each, in order."""
        ...


class SingleSendRepositories(ReportingRepositories, EventRepositories, Protocol):
    """Sending one, and reading the statuses of its recipients."""

    @property
    def single_sends(self) -> SingleSends: ...
    @property
    def senders(self) -> SenderLookup: ...
    @property
    def templates(self) -> TemplateLookup: ...
