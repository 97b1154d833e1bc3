"""The relay pool: deliver messages through one or more SMTP relays and classify what happened.

Each relay gets a bounded number of persistent connections (reused across messages, replaced when they fail,
closed when idle) and a rate limit. With several relays each message goes to the least busy one that is not
backing off after a failure; ties rotate. Every result, SMTP answer or fault, comes back as a domain
``DeliveryOutcome``; ``deliver`` does not raise for SMTP trouble.

Daily quotas (``RelayConfig.daily_quota``) must hold across processes and restarts, so they are counted
elsewhere: a relay with a quota is used only when the caller's gate admits the message, and its send is
given back when the relay did not accept the message. When no relay can take it the outcome is WAIT.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from types import TracebackType

from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.mail.rate_limits import LocalRateLimiter, RateLimiter
from mailyard.mail.relay_lanes import RelayLane
from mailyard.mail.relays import RelayConfig
from mailyard.ports.mailer import RelayGate

__all__ = ["RelayPool"]


class RelayPool:
    """Deliver through a pool of relays with connection reuse, rate limits and load spreading."""

    def __init__(
        self,
        relays: Sequence[RelayConfig],
        *,
        limiter: RateLimiter | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``limiter`` replaces the in-process token buckets built from each relay's ``rate`` (pass a shared
        limiter when several processes use the same relays); ``ssl_context`` replaces the TLS settings built
        from each relay's ``verify``.
        """
        if not relays:
            raise ValueError("a relay pool needs at least one relay")
        names = [relay.name for relay in relays]
        if len(set(names)) != len(names):
            raise ValueError(f"relay names must be unique: {names}")
        self._lanes = [RelayLane(relay, ssl_context) for relay in relays]
        self._limiter: RateLimiter = limiter or LocalRateLimiter.for_relays(relays)
        self._next = 0
        self._closed = False

    @property
    def relays(self) -> list[RelayConfig]:
        """The relays, in the order given."""
        return [lane.relay for lane in self._lanes]

    async def deliver(
        self, envelope_from: str, recipient: str, data: bytes, gate: RelayGate | None = None
    ) -> DeliveryOutcome:
        """Deliver one message to one recipient and classify the result.

        ``data`` is dot-stuffed and ends with CRLF.CRLF (see ``mailyard.mail.smtp_client.to_smtp_data``).
        """
        if self._closed:
            raise RuntimeError("the relay pool is closed")
        lane = self._choose(gate)
        if lane is None:
            return DeliveryOutcome(OutcomeKind.WAIT, 0, "every relay has used up its daily quota")
        quota_gate = gate if lane.relay.daily_quota is not None else None
        outcome: DeliveryOutcome | None = None
        lane.load += 1
        try:
            async with lane.slots:
                # Rate after the slot: a token taken while queueing for a connection would let queued
                # messages leave in a burst when connections free up.
                await self._limiter.acquire(lane.relay.name, 1)
                outcome = await lane.deliver(envelope_from, recipient, data)
                return outcome
        finally:
            lane.load -= 1
            if quota_gate is not None and (outcome is None or outcome.kind is not OutcomeKind.SENT):
                quota_gate.give(lane.relay.name)  # the relay did not take it: the send is not used up

    async def close(self) -> None:
        """Refuse new deliveries and QUIT every idle connection; in-flight ones are quit as they finish."""
        self._closed = True
        await asyncio.gather(*(lane.close() for lane in self._lanes))

    async def __aenter__(self) -> RelayPool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def _choose(self, gate: RelayGate | None) -> RelayLane | None:
        """The least busy lane relative to its connections that the gate admits, preferring lanes that do
        not back off; ties rotate. None when the gate admits no lane."""
        lanes = self._lanes
        if len(lanes) > 1:
            now = asyncio.get_running_loop().time()
            count = len(lanes)
            start, self._next = self._next, (self._next + 1) % count
            rotated = [lanes[(start + offset) % count] for offset in range(count)]
            lanes = sorted(rotated, key=lambda lane: (lane.is_down(now), lane.load / lane.relay.connections))
        for lane in lanes:
            if gate is None or lane.relay.daily_quota is None or gate.take(lane.relay.name):
                return lane
        return None
