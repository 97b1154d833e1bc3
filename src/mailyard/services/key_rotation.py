"""Re-encrypting every stored secret under the newest master key, a small batch per transaction.

A rotation killed midway leaves some secrets under the old key and some under the new one; the key ring
holds both until every secret has moved, so nothing becomes unreadable, and running it again carries on.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailyard.ports.secrets import SealedPlace, SealedRepositories, SecretResealer
from mailyard.ports.store import Store

BATCH = 200


@dataclass(frozen=True)
class RotationProgress:
    resealed: int  #: secrets written under the newest key by this batch
    next_place: SealedPlace | None  #: where the next batch starts; None when every secret was seen


class KeyRotation:
    def __init__(self, store: Store[SealedRepositories], resealer: SecretResealer) -> None:
        self._store = store
        self._resealer = resealer

    async def reseal_batch(self, after: SealedPlace | None, limit: int = BATCH) -> RotationProgress:
        async with self._store.transaction() as repositories:
            page = await repositories.sealed.page(after, limit)
            resealed = 0
            for place, token in page:
                fresh = self._resealer.reseal(token)
                if fresh != token and await repositories.sealed.replace(place, token, fresh):
                    resealed += 1
        return RotationProgress(resealed, page[-1][0] if len(page) == limit else None)

    async def reseal_all(self) -> int:
        """Every secret under the newest key; the number rewritten."""
        total, place = 0, None
        while True:
            progress = await self.reseal_batch(place)
            total += progress.resealed
            if progress.next_place is None:
                return total
            place = progress.next_place

    async def stragglers(self) -> int:
        """Secrets the newest key alone cannot read yet (written meanwhile under an older key)."""
        count, place = 0, None
        while True:
            async with self._store.transaction() as repositories:
                page = await repositories.sealed.page(place, BATCH)
            count += sum(1 for _, token in page if not self._resealer.is_current(token))
            if len(page) < BATCH:
                return count
            place = page[-1][0]
