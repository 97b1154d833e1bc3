"""The `Mailer` port over the SMTP relay pool: letters arrive as RFC 5322 messages and leave as SMTP DATA."""

from __future__ import annotations

from mailyard.domain.letters import Letter
from mailyard.domain.outcomes import DeliveryOutcome
from mailyard.domain.quotas import RelayQuota
from mailyard.mail.mime import to_smtp_data
from mailyard.mail.relay_pool import RelayPool
from mailyard.ports.mailer import RelayGate


class RelayMailer:
    def __init__(self, pool: RelayPool) -> None:
        self._pool = pool
        self.relay_quotas = tuple(
            RelayQuota(relay=relay.name, daily_quota=relay.daily_quota, time_zone=relay.time_zone)
            for relay in pool.relays
        )

    async def deliver(self, letter: Letter, gate: RelayGate | None = None) -> DeliveryOutcome:
        return await self._pool.deliver(letter.envelope_from, letter.recipient, to_smtp_data(letter.data), gate)

    async def close(self) -> None:
        await self._pool.close()
