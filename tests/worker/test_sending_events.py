"""Events of sending through a real relay: each outcome is one event, with counters, totals and statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import events, paging

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)
TODAY = date(2026, 3, 2)  # the fixed clock's day in Asia/Shanghai


async def test_outcomes_become_events_counted_per_day(
    runtime: bootstrap.Runtime, clock: Any, relay: Any, make_worker: Any, team: Any, rival: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    relay.handler.rcpt_replies["ben@example.org"] = ["550 5.1.1 No such user"]
    relay.handler.rcpt_replies["cy@example.org"] = ["451 4.3.0 try again later", "250 OK"]
    content = await make_content(principal)
    task = await runtime.services.tasks.create(principal, content.task_request())
    worker = make_worker(relay.config())
    await worker.drain()
    clock.advance(minutes=5)
    await worker.drain()

    page = await runtime.services.engagement.list_events(principal, task.id, ALL)
    happened = [(event.delivery.address, event.type, event.bounce_type) for event in page.items]
    assert happened == [
        ("ann@example.org", events.EventType.DELIVERED, None),
        ("ben@example.org", events.EventType.BOUNCE, events.BounceType.HARD),
        ("cy@example.org", events.EventType.DEFERRED, None),
        ("cy@example.org", events.EventType.DELIVERED, None),
    ]
    bounce = page.items[1]
    assert bounce.reason is not None and "5.1.1" in bounce.reason
    cy = page.items[3].delivery.delivery_id
    one = await runtime.services.engagement.list_events(principal, task.id, ALL, delivery_id=cy)
    assert [event.type for event in one.items] == [events.EventType.DEFERRED, events.EventType.DELIVERED]

    totals = await runtime.services.engagement.totals(principal, task.id)
    assert (totals.delivered, totals.hard_bounces, totals.deferred, totals.opens) == (2, 1, 1, 0)
    report = await runtime.services.statistics.report(principal, TODAY, TODAY)
    assert [(day.delivered, day.bounced) for day in report.daily] == [(2, 1)]
    filtered = await runtime.services.statistics.report(principal, TODAY, TODAY, recipient_domain="other.org")
    assert (filtered.overall.delivered, filtered.overall.requested) == (0, 0)
    rival_report = await runtime.services.statistics.report(rival.admin.principal, TODAY, TODAY)
    assert rival_report.daily == []


async def test_opens_count_once_per_copy_and_unsubscribes_once(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    """The recorder is where later sources (tracking) plug in: unique counts are its business."""
    principal = team.admin.principal
    content = await make_content(principal, addresses=("ann@example.org",))
    task = await runtime.services.tasks.create(principal, content.task_request())
    await make_worker(relay.config()).drain()
    delivered = (await runtime.services.engagement.list_events(principal, task.id, ALL)).items[0]
    now = runtime.services.clock.now()
    opened = events.NewEvent(type=events.EventType.OPEN, delivery=delivered.delivery, occurred_at=now)
    async with runtime.store.transaction() as repositories:
        await runtime.services.event_recorder.record(repositories, [opened, opened])
    async with runtime.store.transaction() as repositories:
        await runtime.services.event_recorder.record(repositories, [opened])
    token = runtime.services.unsubscribe.links.token(principal.account_id, "ann@example.org")
    await runtime.services.unsubscribe.unsubscribe(token)
    await runtime.services.unsubscribe.unsubscribe(token)  # following it again records nothing more

    totals = await runtime.services.engagement.totals(principal, task.id)
    assert (totals.opens, totals.unique_opens, totals.unsubscribes) == (3, 1, 1)
    report = await runtime.services.statistics.report(principal, TODAY, TODAY)
    assert (report.overall.opened, report.overall.unsubscribed, report.overall.delivered) == (1, 1, 1)
