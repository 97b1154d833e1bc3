"""The built-in outbox: what would have been sent, for the tasks the caller may see."""

from __future__ import annotations

from mailyard.domain import accounts, paging, visibility
from mailyard.domain.outbox import OutboxMessage
from mailyard.errors import ErrorCode, NotFound
from mailyard.ports.reporting import OutboxRepositories
from mailyard.ports.store import Store


class OutboxService:
    def __init__(self, store: Store[OutboxRepositories]) -> None:
        self._store = store

    async def list(
        self, principal: accounts.Principal, window: paging.Window, *, task_id: int | None = None
    ) -> paging.Page[OutboxMessage]:
        """Newest first, without their content."""
        async with self._store.transaction() as repositories:
            return await repositories.outbox.list(visibility.TaskScope.of(principal), window, task_id=task_id)

    async def get(self, principal: accounts.Principal, message_id: int) -> OutboxMessage:
        """One message with its exact bytes."""
        async with self._store.transaction() as repositories:
            found = await repositories.outbox.get(visibility.TaskScope.of(principal), message_id)
        if found is None:
            raise NotFound(f"outbox message {message_id} not found", code=ErrorCode.OUTBOX_MESSAGE_NOT_FOUND)
        return found
