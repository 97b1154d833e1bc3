"""Purging what the retention settings no longer keep, a small batch per transaction."""

from __future__ import annotations

from mailyard.domain.retention import RetainedKind, RetentionPolicy
from mailyard.ports.clock import Clock
from mailyard.ports.retention import RetentionRepositories
from mailyard.ports.store import Store

BATCH = 1000


class RetentionService:
    def __init__(self, store: Store[RetentionRepositories], clock: Clock, policy: RetentionPolicy) -> None:
        self._store = store
        self._clock = clock
        self.policy = policy

    async def purge_batch(self, limit: int = BATCH) -> dict[RetainedKind, int]:
        """One batch of each kind past its age; how many records of each went."""
        removed: dict[RetainedKind, int] = {}
        for kind, before in self.policy.cutoffs(self._clock.now()).items():
            async with self._store.transaction() as repositories:
                removed[kind] = await repositories.retention.purge(kind, before, limit)
        return removed

    async def purge(self, limit: int = BATCH) -> dict[RetainedKind, int]:
        """Everything past its age, batch after batch; the totals."""
        totals = dict.fromkeys(self.policy.cutoffs(self._clock.now()), 0)
        while True:
            removed = await self.purge_batch(limit)
            for kind, count in removed.items():
                totals[kind] += count
            if all(count < limit for count in removed.values()):
                return totals
