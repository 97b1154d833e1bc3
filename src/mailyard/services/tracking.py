"""Opens and clicks: the links a run's copies carry, and the hits they bring back, recorded as events.

A hit is answered at once (the pixel, or the redirect) and recorded later: hits wait in a buffer that is written
as one transaction per batch (every second, or sooner when it fills), never a commit per hit. A clean shutdown
writes what is buffered; a killed process loses at most the last second's hits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from mailyard.domain import accounts, events, tracking
from mailyard.domain.tracking import CopyRef, TrackingOptions
from mailyard.errors import ErrorCode, NotFound
from mailyard.ports.clock import Clock
from mailyard.ports.secrets import TokenSigner
from mailyard.ports.store import Store
from mailyard.ports.tracking import TrackingRepositories
from mailyard.services.access import require_admin
from mailyard.services.events import EventRecorder

log = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
FLUSH_AT_HITS = 2_000
MAX_BUFFERED_HITS = 100_000  #: past this, new hits are dropped (and logged) rather than memory growing


class TrackingLinks:
    """The per-copy half of tracking: each copy's base URL, and the run's link tokens."""

    def __init__(self, signer: TokenSigner, public_url: str) -> None:
        self._sign = signer.sign
        self._verify = signer.verify
        self._base = public_url.rstrip("/") + "/t/"

    def copy_values(self, values: Mapping[str, str], ref: CopyRef) -> dict[str, str]:
        """The copy's values with its tracking base URL: one MAC per copy."""
        return {**values, tracking.TRACK_VARIABLE: self._base + tracking.copy_token(self._sign, ref)}

    def link_tokens(self, run_id: int) -> Callable[[str], str]:
        return lambda url: tracking.link_token(self._sign, run_id, url)

    def rewrite(self, html: str, run_id: int, options: TrackingOptions) -> str:
        return tracking.rewrite_html(html, self.link_tokens(run_id), opens=options.opens, clicks=options.clicks)

    def read_copy(self, token: str) -> CopyRef | None:
        return tracking.read_copy_token(self._verify, token)

    def read_link(self, run_id: int, token: str) -> str | None:
        return tracking.read_link_token(self._verify, run_id, token)


@dataclass(frozen=True, slots=True)
class _Hit:
    type: events.EventType
    copy: CopyRef
    at: datetime
    user_agent: str | None
    link: str | None = None


class TrackingService:
    def __init__(
        self, store: Store[TrackingRepositories], clock: Clock, links: TrackingLinks, recorder: EventRecorder
    ) -> None:
        self._store = store
        self._clock = clock
        self.links = links
        self._recorder = recorder
        self._buffer: list[_Hit] = []
        self._full = asyncio.Event()

    # ---- settings ------------------------------------------------------------------------------------------

    async def account_options(self, principal: accounts.Principal) -> TrackingOptions:
        async with self._store.transaction() as repositories:
            return await repositories.tracking.options(principal.account_id) or TrackingOptions()

    async def set_account_options(self, principal: accounts.Principal, options: TrackingOptions) -> TrackingOptions:
        require_admin(principal)
        async with self._store.transaction() as repositories:
            await repositories.tracking.set_options(principal.account_id, options)
        return options

    # ---- hits ----------------------------------------------------------------------------------------------

    def opened(self, copy_token: str, user_agent: str | None) -> None:
        """Note an open; NotFound for a token this installation did not make."""
        copy = self.links.read_copy(copy_token)
        if copy is None:
            raise NotFound("no such message", code=ErrorCode.TRACKING_TOKEN_INVALID)
        self._note(_Hit(events.EventType.OPEN, copy, self._clock.now(), user_agent))

    def clicked(self, copy_token: str, link_token: str, user_agent: str | None) -> str:
        """Note a click; the URL to send the person on to. NotFound for a forged or tampered token."""
        copy = self.links.read_copy(copy_token)
        url = self.links.read_link(copy.run_id, link_token) if copy else None
        if copy is None or url is None:
            raise NotFound("no such link", code=ErrorCode.TRACKING_TOKEN_INVALID)
        self._note(_Hit(events.EventType.CLICK, copy, self._clock.now(), user_agent, url))
        return url

    def _note(self, hit: _Hit) -> None:
        if len(self._buffer) >= MAX_BUFFERED_HITS:
            log.warning("tracking: %d hits wait to be written; dropping new ones", len(self._buffer))
            return
        self._buffer.append(hit)
        if len(self._buffer) >= FLUSH_AT_HITS:
            self._full.set()

    async def flush(self) -> int:
        """Write the buffered hits as events in one transaction; how many were written."""
        hits, self._buffer = self._buffer, []
        self._full.clear()
        if not hits:
            return 0
        try:
            async with self._store.transaction() as repositories:
                found = await repositories.tracking.deliveries({hit.copy.delivery_id for hit in hits})
                new = [event for hit in hits if (event := _event(hit, found.get(hit.copy.delivery_id)))]
                await self._recorder.record(repositories, new)
        except BaseException:
            self._buffer[:0] = hits  # written next time; nothing is lost to a failed step
            raise
        return len(new)

    async def flush_round(self, stop: asyncio.Event) -> None:
        """One round of the writing loop: wait a second (less when many hits wait, or when stopping), then
        write what is buffered. The supervisor runs it until `stop`; a last `flush` follows."""
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._full.wait())]
        _done, pending = await asyncio.wait(waits, timeout=FLUSH_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiting in pending:
            waiting.cancel()
        await self.flush()


def _event(hit: _Hit, delivery: tracking.TrackedDelivery | None) -> events.NewEvent | None:
    """The event of a hit; None when its delivery is gone or belongs to another run (a stale token)."""
    if delivery is None or delivery.run_id != hit.copy.run_id:
        return None
    after = (hit.at - delivery.sent_at).total_seconds() if delivery.sent_at else None
    return events.NewEvent(
        type=hit.type,
        delivery=events.DeliveryRef(
            delivery_id=delivery.delivery_id,
            task_id=delivery.task_id,
            account_id=delivery.account_id,
            address=delivery.address,
        ),
        occurred_at=hit.at,
        link=hit.link,
        user_agent=(hit.user_agent or "")[:400] or None,
        machine=tracking.is_machine(hit.user_agent, after),
    )
