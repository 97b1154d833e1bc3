"""What webhooks need: their endpoints and queue in the store, and a transport that posts them."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mailyard.domain import events, paging, webhooks
from mailyard.ports.identities import SenderLookup


class WebhookQueueWriter(Protocol):
    """What queueing webhooks beside events needs, in the events' transaction."""

    async def endpoints(self, account_ids: Sequence[int]) -> builtins.list[webhooks.Endpoint]: ...
    async def senders_of(self, task_ids: Sequence[int]) -> dict[int, str]:
        """The sender address (bare, lower case) of each task."""
        ...

    async def enqueue(self, rows: Sequence[tuple[int, events.NewEvent]]) -> None: ...


class Webhooks(WebhookQueueWriter, Protocol):
    async def create_endpoint(
        self,
        *,
        account_id: int,
        url: str,
        event_types: frozenset[events.EventType],
        custom: str | None,
        sender: str | None,
        secret_sealed: str,
    ) -> webhooks.Endpoint: ...
    async def delete_endpoint(self, account_id: int, endpoint_id: int) -> bool: ...
    async def disable_endpoint(self, endpoint_id: int) -> None: ...
    async def claim(self, limit: int, lease_until: datetime) -> builtins.list[webhooks.QueuedMessage]: ...
    async def finish(
        self,
        message_id: int,
        *,
        state: webhooks.MessageState,
        attempts: int,
        next_attempt_at: datetime | None,
        status: int | None,
        answer: str | None,
    ) -> None: ...
    async def attempts(self, endpoint_id: int, window: paging.Window) -> paging.Page[webhooks.Attempt]: ...
    async def backlog(self) -> webhooks.Backlog: ...


class WebhookRepositories(Protocol):
    @property
    def webhooks(self) -> Webhooks: ...
    @property
    def senders(self) -> SenderLookup: ...


class WebhookTransport(Protocol):
    """Where webhooks may go, and posting them signed (Standard Webhooks): no redirects followed, short
    time-outs, only a short prefix of an answer kept."""

    async def destination_problem(self, url: str) -> str | None:
        """Why Mailyard may not call this URL (not http(s), or it resolves to an internal address), or None."""
        ...

    async def post(self, url: str, body: bytes, *, secret: str, message_id: str) -> tuple[int | None, str]:
        """The answer's status (None when there was none: refused, timed out) and its first bytes or the error."""
        ...
