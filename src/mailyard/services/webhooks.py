"""Webhooks: endpoints people register, events queued for them with the events themselves, and posting.

- Queueing is an event sink (services/events.py): a message per (event, endpoint) is written in the transaction
  that records the event, so a webhook is exactly as durable as its event.
- Posting claims due messages with a lease, posts them concurrently and records each answer: 2xx is done, 410
  disables the endpoint, anything else is tried again with backoff for up to 24 hours. A poster killed
  mid-post loses nothing: its lease runs out and the message is posted again (at least once). The metrics
  count the outcomes once they are recorded.
- Where a webhook may go is checked when it is registered and again before every post (a name can come to
  resolve elsewhere): only http(s), never an internal address unless the installation allows it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from mailyard.domain import accounts, events, paging, webhooks
from mailyard.domain.webhooks import MessageState, PostOutcome
from mailyard.errors import ErrorCode, InvalidInput, NotFound
from mailyard.ports.clock import Clock
from mailyard.ports.events import EventRecordingRepositories
from mailyard.ports.metrics import Metrics
from mailyard.ports.secrets import SecretCipher
from mailyard.ports.store import Store
from mailyard.ports.webhooks import WebhookRepositories, WebhookTransport
from mailyard.services.access import require_admin
from mailyard.services.monitoring import Unmonitored

log = logging.getLogger(__name__)
POST_BATCH = 64
LEASE = timedelta(seconds=60)
IDLE_SECONDS = 1.0
TEST_ADDRESS = "test@example.com"


class WebhookService:
    """Registering endpoints (admins), and what they received."""

    def __init__(self, store: Store[WebhookRepositories], cipher: SecretCipher, transport: WebhookTransport) -> None:
        self._store = store
        self._cipher = cipher
        self._transport = transport

    async def create(
        self,
        principal: accounts.Principal,
        *,
        url: str,
        event_names: Sequence[str] | None = None,
        custom: str | None = None,
        sender: str | None = None,
    ) -> webhooks.CreatedEndpoint:
        require_admin(principal)
        event_types = webhooks.check_events(event_names)
        problem = await self._transport.destination_problem(url) if len(url) <= webhooks.MAX_URL_LENGTH else "too long"
        if problem:
            raise InvalidInput(f"webhook URL refused: {problem}", field="url", code=ErrorCode.WEBHOOK_URL_REFUSED)
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        async with self._store.transaction() as repositories:
            cleaned_sender = await _sender_of_account(repositories, principal, sender)
            endpoint = await repositories.webhooks.create_endpoint(
                account_id=principal.account_id,
                url=url,
                event_types=event_types,
                custom=webhooks.check_custom(custom),
                sender=cleaned_sender,
                secret_sealed=self._cipher.encrypt(secret),
            )
        return webhooks.CreatedEndpoint(endpoint=endpoint, secret=secret)

    async def list(self, principal: accounts.Principal) -> list[webhooks.Endpoint]:
        async with self._store.transaction() as repositories:
            return await repositories.webhooks.endpoints([principal.account_id])

    async def delete(self, principal: accounts.Principal, endpoint_id: int) -> None:
        require_admin(principal)
        async with self._store.transaction() as repositories:
            if not await repositories.webhooks.delete_endpoint(principal.account_id, endpoint_id):
                raise _no_endpoint(endpoint_id)

    async def test(self, principal: accounts.Principal, endpoint_id: int, now: datetime) -> None:
        """Queue a `delivered` event for a made-up address to one endpoint."""
        require_admin(principal)
        async with self._store.transaction() as repositories:
            endpoint = await _endpoint(repositories, principal, endpoint_id)
            ref = events.DeliveryRef(delivery_id=0, task_id=0, account_id=principal.account_id, address=TEST_ADDRESS)
            event = events.NewEvent(type=events.EventType.DELIVERED, delivery=ref, occurred_at=now)
            await repositories.webhooks.enqueue([(endpoint.id, event)])

    async def attempts(
        self, principal: accounts.Principal, endpoint_id: int, window: paging.Window
    ) -> paging.Page[webhooks.Attempt]:
        async with self._store.transaction() as repositories:
            endpoint = await _endpoint(repositories, principal, endpoint_id)
            return await repositories.webhooks.attempts(endpoint.id, window)


class WebhookSink:
    """The event sink that queues webhooks beside the events, in their transaction."""

    async def recorded(self, repositories: EventRecordingRepositories, recorded: Sequence[events.NewEvent]) -> None:
        endpoints = await repositories.webhooks.endpoints(sorted({event.delivery.account_id for event in recorded}))
        if not endpoints:
            return  # the common case costs one indexed read per batch of events
        by_account: dict[int, list[webhooks.Endpoint]] = {}
        for endpoint in endpoints:
            by_account.setdefault(endpoint.account_id, []).append(endpoint)
        senders = {}
        if any(endpoint.sender for endpoint in endpoints):
            senders = await repositories.webhooks.senders_of(sorted({event.delivery.task_id for event in recorded}))
        rows = [
            (endpoint.id, event)
            for event in recorded
            for endpoint in webhooks.endpoints_for(
                by_account.get(event.delivery.account_id, []), event.type, senders.get(event.delivery.task_id, "")
            )
        ]
        await repositories.webhooks.enqueue(rows)


class WebhookPoster:
    """Posts what is due, concurrently, until stopped."""

    def __init__(
        self,
        store: Store[WebhookRepositories],
        clock: Clock,
        cipher: SecretCipher,
        transport: WebhookTransport,
        *,
        lease: timedelta = LEASE,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._cipher = cipher
        self._transport = transport
        self._lease = lease
        self._metrics = metrics or Unmonitored()

    async def post_due(self) -> int:
        """Claim one batch, post it concurrently, and record every answer in one transaction; how many."""
        async with self._store.transaction() as repositories:
            claimed = await repositories.webhooks.claim(POST_BATCH, self._clock.now() + self._lease)
        if not claimed:
            return 0
        answers = await asyncio.gather(*(self._post(message) for message in claimed))
        outcomes: Counter[PostOutcome] = Counter()
        async with self._store.transaction() as repositories:
            for message, (status, answer) in zip(claimed, answers, strict=True):
                outcomes[await self._record(repositories, message, status, answer[: webhooks.KEPT_ANSWER_BYTES])] += 1
        for outcome, count in outcomes.items():
            self._metrics.webhooks_posted(outcome.value, count)
        return len(claimed)

    async def sample_queue(self) -> webhooks.Backlog:
        """Report how many webhooks wait, and the oldest one's age, to the metrics."""
        async with self._store.transaction() as repositories:
            backlog = await repositories.webhooks.backlog()
        self._metrics.webhook_queue_sampled(backlog.pending, backlog.oldest_age_seconds(self._clock.now()))
        return backlog

    async def post_round(self, stop: asyncio.Event) -> None:
        """One round of the posting loop (the supervisor runs it until `stop`): post what is due, or wait a
        little when nothing is."""
        if await self.post_due() == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), IDLE_SECONDS)

    async def _post(self, message: webhooks.QueuedMessage) -> tuple[int | None, str]:
        problem = await self._transport.destination_problem(message.url)
        if problem:
            return None, f"not posted: {problem}"
        body = json.dumps(webhooks.callback_body(message.facts, message.custom), ensure_ascii=False).encode()
        secret = self._cipher.decrypt(message.secret_sealed)
        message_key = f"msg_{message.id}"  # the same on every try: receivers drop what they have seen
        return await self._transport.post(message.url, body, secret=secret, message_id=message_key)

    async def _record(
        self, repositories: WebhookRepositories, message: webhooks.QueuedMessage, status: int | None, answer: str
    ) -> PostOutcome:
        attempts = message.attempts + 1
        if status is not None and 200 <= status < 300:
            state, next_at, outcome = MessageState.DONE, None, PostOutcome.DELIVERED
        elif status == 410:  # the receiver says the endpoint is gone for good
            await repositories.webhooks.disable_endpoint(message.endpoint_id)
            state, next_at, outcome = MessageState.FAILED, None, PostOutcome.ENDPOINT_GONE
        else:
            next_at = webhooks.next_try(message.created_at, attempts, self._clock.now())
            state = MessageState.PENDING if next_at else MessageState.FAILED
            outcome = PostOutcome.RETRYING if next_at else PostOutcome.GAVE_UP
        await repositories.webhooks.finish(
            message.id, state=state, attempts=attempts, next_attempt_at=next_at, status=status, answer=answer
        )
        if state is not MessageState.DONE:
            log.info("webhook %d to endpoint %d: %s (%s)", message.id, message.endpoint_id, status, state.value)
        return outcome


async def _endpoint(
    repositories: WebhookRepositories, principal: accounts.Principal, endpoint_id: int
) -> webhooks.Endpoint:
    for endpoint in await repositories.webhooks.endpoints([principal.account_id]):
        if endpoint.id == endpoint_id:
            return endpoint
    raise _no_endpoint(endpoint_id)


async def _sender_of_account(
    repositories: WebhookRepositories, principal: accounts.Principal, sender: str | None
) -> str | None:
    if sender is None:
        return None
    cleaned = sender.strip().lower()
    if await repositories.senders.get(principal.account_id, cleaned) is None:
        raise NotFound(f"{cleaned} is not a sender address of the account", code=ErrorCode.SENDER_NOT_FOUND)
    return cleaned


def _no_endpoint(endpoint_id: int) -> NotFound:
    return NotFound(f"webhook endpoint {endpoint_id} not found", code=ErrorCode.WEBHOOK_NOT_FOUND)
