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
from mailyard.domain.sending import ClaimedDelivery, DeliveryResult


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
    """The daily counters; a `unique_` one moves on the first event of its kind of a delivery only (a
    `unique_human_` or `unique_machine_` one on the first of its kind by a person, or by a machine)."""

    DELIVERED = "delivered"
    DEFERRED = "deferred"
    DROPPED = "dropped"
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    OPEN = "open"
    UNIQUE_OPEN = "unique_open"
    HUMAN_OPEN = "human_open"
    UNIQUE_HUMAN_OPEN = "unique_human_open"
    MACHINE_OPEN = "machine_open"
    UNIQUE_MACHINE_OPEN = "unique_machine_open"
    CLICK = "click"
    UNIQUE_CLICK = "unique_click"
    HUMAN_CLICK = "human_click"
    UNIQUE_HUMAN_CLICK = "unique_human_click"
    MACHINE_CLICK = "machine_click"
    UNIQUE_MACHINE_CLICK = "unique_machine_click"
    SPAMREPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"
    # Not events: ledger rows of the runs requested that day (GetStatisticsReport's RequestCount and
    # AcceptedCount), moved when a run writes its ledger and when queued rows are cancelled.
    REQUESTED = "requested"
    ACCEPTED = "accepted"  #: not skipped (suppressed, invalid or cancelled)


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
#: (every, unique) counters of an open or a click by a person, and by a machine.
_ORIGIN_COUNTERS = {
    (EventType.OPEN, False): (Counter.HUMAN_OPEN, Counter.UNIQUE_HUMAN_OPEN),
    (EventType.OPEN, True): (Counter.MACHINE_OPEN, Counter.UNIQUE_MACHINE_OPEN),
    (EventType.CLICK, False): (Counter.HUMAN_CLICK, Counter.UNIQUE_HUMAN_CLICK),
    (EventType.CLICK, True): (Counter.MACHINE_CLICK, Counter.UNIQUE_MACHINE_CLICK),
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
        return recipient_domain(self.address)


def recipient_domain(address: str) -> str:
    """The domain counters are kept by: what follows the address's last "@", in lower case."""
    return address.rpartition("@")[2].lower()


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

    @property
    def by_machine(self) -> bool:
        """Whether a machine made it; a hit not recognised as a machine's (or of unknown origin) is a person's."""
        return self.machine is True


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
    """A task's totals, from its counters: opens and clicks as unique deliveries and as hits, all of them (as the
    clouds count) and apart for people and machines. A copy opened by both counts once in `unique_opens` and
    once in each of `unique_human_opens` and `unique_machine_opens`."""

    delivered: int = 0
    deferred: int = 0
    dropped: int = 0
    hard_bounces: int = 0
    soft_bounces: int = 0
    opens: int = 0
    unique_opens: int = 0
    human_opens: int = 0
    unique_human_opens: int = 0
    machine_opens: int = 0
    unique_machine_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    human_clicks: int = 0
    unique_human_clicks: int = 0
    machine_clicks: int = 0
    unique_machine_clicks: int = 0
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
            human_opens=counts.get(Counter.HUMAN_OPEN, 0),
            unique_human_opens=counts.get(Counter.UNIQUE_HUMAN_OPEN, 0),
            machine_opens=counts.get(Counter.MACHINE_OPEN, 0),
            unique_machine_opens=counts.get(Counter.UNIQUE_MACHINE_OPEN, 0),
            clicks=counts.get(Counter.CLICK, 0),
            unique_clicks=counts.get(Counter.UNIQUE_CLICK, 0),
            human_clicks=counts.get(Counter.HUMAN_CLICK, 0),
            unique_human_clicks=counts.get(Counter.UNIQUE_HUMAN_CLICK, 0),
            machine_clicks=counts.get(Counter.MACHINE_CLICK, 0),
            unique_machine_clicks=counts.get(Counter.UNIQUE_MACHINE_CLICK, 0),
            complaints=counts.get(Counter.SPAMREPORT, 0),
            unsubscribes=counts.get(Counter.UNSUBSCRIBE, 0),
        )


def counters_of(event: NewEvent, *, first_of_its_kind: bool, first_of_its_origin: bool) -> tuple[Counter, ...]:
    """The counters an event moves; `first_of_its_kind` says no earlier event of its type has its delivery,
    `first_of_its_origin` that none of its type by the same origin (a person, or a machine) has."""
    if event.type is EventType.BOUNCE:
        return (Counter.SOFT_BOUNCE,) if event.bounce_type is BounceType.SOFT else (Counter.HARD_BOUNCE,)
    if event.type in _UNIQUE_COUNTERS:
        every, unique = _UNIQUE_COUNTERS[event.type]
        by_origin, unique_by_origin = _ORIGIN_COUNTERS[(event.type, event.by_machine)]
        firsts = ((unique,) if first_of_its_kind else ()) + ((unique_by_origin,) if first_of_its_origin else ())
        return (every, by_origin, *firsts)
    return (_PLAIN_COUNTERS[event.type],)


def counts_uniquely(event_type: EventType) -> bool:
    """Whether recording an event of this type needs to know if its delivery had one already."""
    return event_type in _UNIQUE_COUNTERS


def ref_of(claimed: ClaimedDelivery) -> DeliveryRef:
    return DeliveryRef(
        delivery_id=claimed.id, task_id=claimed.task_id, account_id=claimed.account_id, address=claimed.address
    )


def of_late_suppression(claimed: ClaimedDelivery, reason: str, now: datetime) -> NewEvent:
    """A claimed copy not sent after all, its address suppressed since its run began: dropped, as Tencent
    calls a copy that will not be delivered because its address is suppressed."""
    return NewEvent(type=EventType.DROPPED, delivery=ref_of(claimed), occurred_at=now, reason=reason)


def of_sending(result: DeliveryResult, outcome: DeliveryOutcome, now: datetime) -> NewEvent | None:
    """The event an SMTP attempt makes: delivered; deferred while retried; a bounce when the relay refused it
    for good (5xx, hard: the address may be suppressed elsewhere); dropped when Mailyard gave up. Attempts
    that stopped the task or waited for a quota are no event of the recipient's."""
    ref = ref_of(result.delivery)
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
