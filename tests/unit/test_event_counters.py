"""Which daily counters an open or a click moves: every hit, the copy's first, and both again for its origin."""

from __future__ import annotations

from datetime import UTC, datetime

from mailyard.domain import events
from mailyard.domain.events import Counter

REF = events.DeliveryRef(delivery_id=1, task_id=2, account_id=3, address="ann@Example.ORG")


def hit(kind: events.EventType, machine: bool | None) -> events.NewEvent:
    return events.NewEvent(type=kind, delivery=REF, occurred_at=datetime(2026, 3, 2, tzinfo=UTC), machine=machine)


def test_opens_and_clicks_count_apart_by_origin() -> None:
    first_by_a_proxy = events.counters_of(
        hit(events.EventType.OPEN, True), first_of_its_kind=True, first_of_its_origin=True
    )
    assert set(first_by_a_proxy) == {
        Counter.OPEN,
        Counter.UNIQUE_OPEN,
        Counter.MACHINE_OPEN,
        Counter.UNIQUE_MACHINE_OPEN,
    }
    # The reader opens it after the proxy: a first by a person, not a first open of the copy.
    reader = events.counters_of(hit(events.EventType.OPEN, False), first_of_its_kind=False, first_of_its_origin=True)
    assert set(reader) == {Counter.OPEN, Counter.HUMAN_OPEN, Counter.UNIQUE_HUMAN_OPEN}
    unknown = events.counters_of(hit(events.EventType.CLICK, None), first_of_its_kind=False, first_of_its_origin=False)
    assert set(unknown) == {Counter.CLICK, Counter.HUMAN_CLICK}  # not recognised as a machine: a person's
    delivered = hit(events.EventType.DELIVERED, None)
    assert events.counters_of(delivered, first_of_its_kind=True, first_of_its_origin=True) == (Counter.DELIVERED,)
    assert REF.recipient_domain == events.recipient_domain("x@y@Example.ORG") == "example.org"
