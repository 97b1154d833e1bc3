"""What purging old records needs from the store."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mailyard.domain import retention


class RetentionRepository(Protocol):
    async def purge(self, kind: retention.RetainedKind, before: datetime, limit: int) -> int:
        """Delete up to `limit` of the oldest records of `kind` from before `before`; how many went."""
        ...


class RetentionRepositories(Protocol):
    @property
    def retention(self) -> RetentionRepository: ...
