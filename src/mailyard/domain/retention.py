"""How long records are kept: the outbox's copies, the ledger's finished deliveries, and events with the
webhooks posted for them. Counters and daily statistics are never purged."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class RetainedKind(enum.StrEnum):
    """What a purge removes, oldest first. Queued and leased deliveries are never purged."""

    OUTBOX = "outbox"
    DELIVERIES = "deliveries"
    EVENTS = "events"
    WEBHOOKS = "webhooks"  #: posted or given up; those still to be posted stay


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days each kind is kept; None keeps it forever (the default)."""

    outbox_days: int | None = None
    deliveries_days: int | None = None
    events_days: int | None = None  #: events, and the webhooks done with them

    def cutoffs(self, now: datetime) -> dict[RetainedKind, datetime]:
        """For each kind with a limit, the moment before which its records go."""
        return {kind: now - timedelta(days=kept) for kind, kept in self._limits().items()}

    @property
    def purges(self) -> bool:
        return bool(self._limits())

    def _limits(self) -> dict[RetainedKind, int]:
        days = {
            RetainedKind.OUTBOX: self.outbox_days,
            RetainedKind.DELIVERIES: self.deliveries_days,
            RetainedKind.EVENTS: self.events_days,
            RetainedKind.WEBHOOKS: self.events_days,
        }
        return {kind: kept for kind, kept in days.items() if kept is not None}
