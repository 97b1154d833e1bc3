"""How long records are kept: the outbox's copies and the ledger's finished deliveries (events join later)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class RetainedKind(enum.StrEnum):
    """What a purge removes, oldest first. Queued and leased deliveries are never purged."""

    OUTBOX = "outbox"
    DELIVERIES = "deliveries"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days each kind is kept; None keeps it forever (the default)."""

    outbox_days: int | None = None
    deliveries_days: int | None = None

    def cutoffs(self, now: datetime) -> dict[RetainedKind, datetime]:
        """For each kind with a limit, the moment before which its records go."""
        return {kind: now - timedelta(days=kept) for kind, kept in self._limits().items()}

    @property
    def purges(self) -> bool:
        return bool(self._limits())

    def _limits(self) -> dict[RetainedKind, int]:
        days = {RetainedKind.OUTBOX: self.outbox_days, RetainedKind.DELIVERIES: self.deliveries_days}
        return {kind: kept for kind, kept in days.items() if kept is not None}
