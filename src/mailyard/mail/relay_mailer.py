"""The `Mailer` port over the SMTP relay pool."""

from __future__ import annotations

from mailyard import ports
from mailyard.domain import sending
from mailyard.domain.outcomes import DeliveryOutcome
from mailyard.domain.quotas import RelayQuota
from mailyard.mail.relay_pool import RelayPool


class RelayMailer:
    takes_smtp_data = True

    def __init__(self, pool: RelayPool) -> None:
        self._pool = pool
        self.relay_quotas = tuple(
            RelayQuota(relay=relay.name, daily_quota=relay.daily_quota, time_zone=relay.time_zone)
            for relay in pool.relays
        )

    async def deliver(self, letter: sending.Letter, gate: ports.RelayGate | None = None) -> DeliveryOutcome:
        return await self._pool.deliver(letter.envelope_from, letter.recipient, letter.data, gate)

    async def close(self) -> None:
        await self._pool.close()
