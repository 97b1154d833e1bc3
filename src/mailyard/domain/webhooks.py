"""Webhooks: endpoints of an account (or of one sender address) that receive its events, in Tencent's callback
format, and the schedule on which a message to an endpoint is tried until it is taken or given up."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mailyard.domain.events import TENCENT_EVENT_IDS, BounceType, EventType
from mailyard.errors import InvalidInput

MAX_CUSTOM_LENGTH = 1000
MAX_URL_LENGTH = 2000
#: Waits after each failed try; the message is given up once 24 hours have passed since it was queued.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
GIVE_UP_AFTER = timedelta(hours=24)
KEPT_ANSWER_BYTES = 500  #: of an endpoint's answer, only this much is kept


class MessageState(enum.StrEnum):
    PENDING = "pending"  #: waiting for its (next) try
    DONE = "done"  #: the endpoint answered 2xx
    FAILED = "failed"  #: given up after 24 hours, or the endpoint is gone (410) or was deleted


class PostOutcome(enum.StrEnum):
    """What became of one post, as the metrics count it."""

    DELIVERED = "delivered"  #: the receiver answered 2xx
    RETRYING = "retrying"  #: anything else, or nothing: tried again later
    GAVE_UP = "gave_up"  #: failed past the last retry
    ENDPOINT_GONE = "endpoint_gone"  #: 410: the endpoint was disabled


@dataclass(frozen=True, slots=True)
class Backlog:
    """Webhooks waiting to be posted, and when the longest-waiting one was queued."""

    pending: int
    oldest: datetime | None

    def oldest_age_seconds(self, now: datetime) -> float:
        return max((now - self.oldest).total_seconds(), 0.0) if self.oldest else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    id: int
    account_id: int
    url: str
    events: frozenset[EventType]
    custom: str | None
    sender: str | None  #: only events of mail from this address; an endpoint for a sender wins over the account's
    enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedEndpoint:
    """An endpoint as created: its secret is shown this once."""

    endpoint: Endpoint
    secret: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """A message's tries so far, for the endpoint's page."""

    id: int
    endpoint_id: int
    event: EventType
    state: MessageState
    attempts: int
    last_status: int | None
    last_answer: str | None
    created_at: datetime
    updated_at: datetime


def check_events(names: Sequence[str] | None) -> frozenset[EventType]:
    """The event types an endpoint asks for, named as Tencent names them; none given means all."""
    if not names:
        return frozenset(EventType)
    try:
        return frozenset(EventType(name) for name in names)
    except ValueError as error:
        known = ", ".join(sorted(EventType))
        raise InvalidInput(f"unknown event type; known: {known}", field="events") from error


def check_custom(custom: str | None) -> str | None:
    if custom is not None and len(custom) > MAX_CUSTOM_LENGTH:
        raise InvalidInput(f"custom is longer than {MAX_CUSTOM_LENGTH} characters", field="custom")
    return custom


def endpoints_for(endpoints: Sequence[Endpoint], event: EventType, sender: str) -> list[Endpoint]:
    """Where an event goes: the sender address's endpoints when it has any (as in Tencent), else the account's."""
    chosen = [endpoint for endpoint in endpoints if endpoint.sender == sender.lower()]
    if not chosen:
        chosen = [endpoint for endpoint in endpoints if endpoint.sender is None]
    return [endpoint for endpoint in chosen if endpoint.enabled and event in endpoint.events]


def next_try(queued_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries, or None when the message is given up."""
    delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
    moment = now + delay
    return moment if moment - queued_at <= GIVE_UP_AFTER else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackFacts:
    """What a callback says about an event, gathered from the event, its delivery and its task."""

    event: EventType
    address: str
    occurred_at: datetime
    account_id: int
    sender: str
    task_id: int | None
    template_id: int | None
    subject: str | None
    message_id: str | None
    bulk_id: str | None
    sent_at: datetime | None
    reason: str | None = None
    bounce_type: BounceType | None = None
    link: str | None = None
    user_agent: str | None = None
    machine: bool | None = None


def callback_body(facts: CallbackFacts, custom: str | None) -> dict[str, Any]:
    """Tencent's callback JSON, field for field (its "Email Event Notification" page), plus `machine` for opens and
    clicks."""
    body: dict[str, Any] = {
        "event": facts.event.value,
        "eventid": TENCENT_EVENT_IDS[facts.event],
        "email": facts.address,
        "timestamp": int(facts.occurred_at.timestamp()),
        "username": str(facts.account_id),
        "from": facts.sender,
        "fromDomain": facts.sender.rpartition("@")[2],
    }
    optional: dict[str, Any] = {
        "bulkId": facts.bulk_id,
        "reason": facts.reason,
        "bounceType": facts.bounce_type.value if facts.bounce_type else None,
        "link": facts.link,
        "useragent": facts.user_agent,
        "templateId": facts.template_id,
        "subject": facts.subject,
        "messageId": facts.message_id.strip("<>") if facts.message_id else None,
        "sentTimestamp": int(facts.sent_at.timestamp()) if facts.sent_at else None,
        "taskId": facts.task_id,
        "X-Tencentcloudses-Cb-Custom": custom,
    }
    body.update((name, value) for name, value in optional.items() if value is not None)
    if facts.event in (EventType.OPEN, EventType.CLICK) and facts.machine is not None:
        body["machine"] = facts.machine
    return body


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedMessage:
    """A message claimed for posting: where it goes, how it is signed, and what it says."""

    id: int
    endpoint_id: int
    url: str
    secret_sealed: str
    custom: str | None
    attempts: int  #: tries before this one
    created_at: datetime
    facts: CallbackFacts
