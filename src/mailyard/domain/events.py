"""Events: what happened to a delivery after it was handed over, named as Tencent's callbacks name it.

Every event also moves daily counters (per account, task, recipient domain and local day of the account) so
reports add up a few counter rows instead of scanning events. `counters_of` is the one rule saying which
counters an event moves.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.domain.runs import DeliveryState
from mailyard.domain.sending import DeliveryResult


class EventType(enum.StrEnum):
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    DROPPED = "dropped"
    BOUNCE = "bounce"
    OPEN = "open"
    CLICK = "click"
    SPAMREPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"


#: Tencent's `eventid` of each event type.
TENCENT_EVENT_IDS = {
    EventType.DELIVERED: 1,
    EventType.DROPPED: 2,
    EventType.BOUNCE: 3,
    EventType.OPEN: 4,
    EventType.CLICK: 5,
    EventType.SPAMREPORT: 6,
    EventType.UNSUBSCRIBE: 7,
    EventType.DEFERRED: 8,
}


class BounceType(enum.StrEnum):
    """Tencent's `bounceType`: permanent (5.x.x) or transient (4.x.x)."""

    HARD = "hard_bounce"
    SOFT = "soft_bounce"


class Counter(enum.StrEnum):
    """The daily counters; a `unique_` one moves on the first event of its kind of a delivery only."""

    DELIVERED = "delivered"
    DEFERRED = "deferred"
    DROPPED = "dropped"
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    OPEN = "open"
    UNIQUE_OPEN = "unique_open"
    CLICK = "click"
    UNIQUE_CLICK = "unique_click"
    SPAMREPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"


_PLAIN_COUNTERS = {
    EventType.DELIVERED: Counter.DELIVERED,
    EventType.DEFERRED: Counter.DEFERRED,
    EventType.DROPPED: Counter.DROPPED,
    EventType.SPAMREPORT: Counter.SPAMREPORT,
    EventType.UNSUBSCRIBE: Counter.UNSUBSCRIBE,
}
_UNIQUE_COUNTERS = {
    EventType.OPEN: (Counter.OPEN, Counter.UNIQUE_OPEN),
    EventType.CLICK: (Counter.CLICK, Counter.UNIQUE_CLICK),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRef:
    """The delivery an event belongs to."""

    delivery_id: int
    task_id: int
    account_id: int
    address: str

    @property
    def recipient_domain(self) -> str:
        return self.address.rpartition("@")[2].lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """An event about to be recorded; `details` hold what applies to its type."""

    type: EventType
    delivery: DeliveryRef
    occurred_at: datetime
    reason: str | None = None  #: the SMTP reply or DSN diagnostic
    bounce_type: BounceType | None = None
    link: str | None = None  #: the URL clicked
    user_agent: str | None = None
    machine: bool | None = None  #: opened or clicked by a machine (privacy proxy, link scanner)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A recorded event."""

    id: int
    type: EventType
    delivery: DeliveryRef
    occurred_at: datetime
    reason: str | None
    bounce_type: BounceType | None
    link: str | None
    user_agent: str | None
    machine: bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplaintQuery:
    """Complaints recorded in [start, end), optionally narrowed as GetAbuseReport narrows them."""

    start: datetime
    end: datetime
    from_domain: str | None = None
    from_address: str | None = None
    recipient_domain: str | None = None
    recipient: str | None = None
    template_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Complaint:
    """A `spamreport` event with what a report of it shows about its copy."""

    event: Event
    from_address: str
    subject: str
    template_id: int
    delivered_at: datetime | None
    message_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CounterStep:
    """Add `amount` to one daily counter."""

    account_id: int
    task_id: int
    day: date
    recipient_domain: str
    counter: Counter
    amount: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Engagement:
    """A task's totals, from its counters: opens and clicks as unique deliveries and as hits."""

    delivered: int = 0
    deferred: int = 0
    dropped: int = 0
    hard_bounces: int = 0
    soft_bounces: int = 0
    opens: int = 0
    unique_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    complaints: int = 0
    unsubscribes: int = 0

    @classmethod
    def of(cls, counts: dict[Counter, int]) -> Engagement:
        return cls(
            delivered=counts.get(Counter.DELIVERED, 0),
            deferred=counts.get(Counter.DEFERRED, 0),
            dropped=counts.get(Counter.DROPPED, 0),
            hard_bounces=counts.get(Counter.HARD_BOUNCE, 0),
            soft_bounces=counts.get(Counter.SOFT_BOUNCE, 0),
            opens=counts.get(Counter.OPEN, 0),
            unique_opens=counts.get(Counter.UNIQUE_OPEN, 0),
            clicks=counts.get(Counter.CLICK, 0),
            unique_clicks=counts.get(Counter.UNIQUE_CLICK, 0),
            complaints=counts.get(Counter.SPAMREPORT, 0),
            unsubscribes=counts.get(Counter.UNSUBSCRIBE, 0),
        )


def counters_of(event: NewEvent, *, first_of_its_kind: bool) -> tuple[Counter, ...]:
    """The counters an event moves; `first_of_its_kind` says no earlier event of its type has its delivery."""
    if event.type is EventType.BOUNCE:
        return (Counter.SOFT_BOUNCE,) if event.bounce_type is BounceType.SOFT else (Counter.HARD_BOUNCE,)
    if event.type in _UNIQUE_COUNTERS:
        every, unique = _UNIQUE_COUNTERS[event.type]
        return (every, unique) if first_of_its_kind else (every,)
    return (_PLAIN_COUNTERS[event.type],)


def counts_uniquely(event_type: EventType) -> bool:
    """Whether recording an event of this type needs to know if its delivery had one already."""
    return event_type in _UNIQUE_COUNTERS


def of_sending(result: DeliveryResult, outcome: DeliveryOutcome, now: datetime) -> NewEvent | None:
    """The event an SMTP attempt makes: delivered; deferred while retried; a bounce when the relay refused it
    for good (5xx, hard: the address may be suppressed elsewhere); dropped when Mailyard gave up. Attempts
    that stopped the task or waited for a quota are no event of the recipient's."""
    claimed = result.delivery
    ref = DeliveryRef(
        delivery_id=claimed.id, task_id=claimed.task_id, account_id=claimed.account_id, address=claimed.address
    )
    if outcome.kind is OutcomeKind.SENT:
        return NewEvent(type=EventType.DELIVERED, delivery=ref, occurred_at=now)
    if outcome.kind is OutcomeKind.RETRY and result.state is DeliveryState.QUEUED:
        return NewEvent(type=EventType.DEFERRED, delivery=ref, occurred_at=now, reason=result.reason)
    if result.state is not DeliveryState.FAILED:
        return None
    if outcome.kind is OutcomeKind.FAILED and outcome.code >= 500:
        return NewEvent(
            type=EventType.BOUNCE, delivery=ref, occurred_at=now, reason=result.reason, bounce_type=BounceType.HARD
        )
    return NewEvent(type=EventType.DROPPED, delivery=ref, occurred_at=now, reason=result.reason)
