"""RequestCount and AcceptedCount come from daily ledger counters moved with the ledger rows, equal to a scan of
the ledger; migration 0014 fills them (and the opens and clicks by people and by machines) for existing data."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from mailyard import bootstrap
from mailyard.domain import events, paging, suppressions
from mailyard.services.events import EventRecorder
from mailyard.services.single_sends import SendRequest
from mailyard.store import engine as engines
from mailyard.store import migrate, tables

pytestmark = pytest.mark.timeout(90)
FIRST_DAY = date(2026, 3, 2)  # the fixed clock starts at 09:00 in Asia/Shanghai on this day
LAST_DAY = FIRST_DAY + timedelta(days=1)
DOMAINS = (None, "example.org", "gmail.com")
ALL = paging.Window(offset=0, limit=100)


async def scanned(runtime: bootstrap.Runtime, account_id: int) -> Counter[tuple[date, str, str]]:
    """(local day of the run, recipient domain, requested | accepted) → ledger rows, by reading every row."""
    delivery, run = tables.deliveries, tables.runs
    statement = (
        select(run.c.created_at, delivery.c.address, delivery.c.state)
        .join(run, run.c.id == delivery.c.run_id)
        .where(delivery.c.account_id == account_id)
    )
    found: Counter[tuple[date, str, str]] = Counter()
    async with runtime.engine.connect() as connection:
        for created_at, address, state in await connection.execute(statement):
            day = suppressions.local_day(created_at, "Asia/Shanghai")
            found[(day, events.recipient_domain(address), "requested")] += 1
            found[(day, events.recipient_domain(address), "accepted")] += state != "skipped"
    return found


async def reported(runtime: bootstrap.Runtime, principal: Any) -> dict[str | None, Any]:
    statistics = runtime.services.statistics
    return {
        domain: await statistics.report(principal, FIRST_DAY, LAST_DAY, recipient_domain=domain) for domain in DOMAINS
    }


async def test_ledger_counters_equal_the_scan_and_the_migration_fills_them(
    runtime: bootstrap.Runtime, settings: Any, clock: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=("ann@example.org", "ben@gmail.com", "cy@example.org"))
    async with runtime.store.transaction() as repositories:
        await repositories.suppressions.add(
            account_id=principal.account_id,
            address="cy@example.org",
            reason=suppressions.SuppressionReason.UNSUBSCRIBE,
            expires_at=None,
        )
    sent = await runtime.services.tasks.create(principal, content.task_request())
    clock.advance(hours=16)  # 01:00 on March 3 in Shanghai
    cancelled = await runtime.services.tasks.create(principal, content.task_request())
    await runtime.services.tasks.cancel(principal, cancelled.id)  # its queued rows become skipped
    single = SendRequest(
        from_address=content.sender,
        subject="Hi",
        template_id=content.template_id,
        variables={"name": "x"},
        destination=["dee@Gmail.com", "cy@example.org"],
    )
    await runtime.services.single_sends.send(principal, single)
    deliveries = (await runtime.services.tasks.deliveries(principal, sent.id, ALL)).items
    ann = next(item for item in deliveries if item.address == "ann@example.org")
    ref = events.DeliveryRef(delivery_id=ann.id, task_id=sent.id, account_id=principal.account_id, address=ann.address)
    async with runtime.store.transaction() as repositories:
        hits = [(events.EventType.OPEN, True), (events.EventType.OPEN, False), (events.EventType.CLICK, True)]
        await EventRecorder().record(
            repositories,
            [events.NewEvent(type=kind, delivery=ref, occurred_at=clock.now(), machine=by) for kind, by in hits],
        )

    # Counted as the rows were written and cancelled, equal to what a scan of the ledger finds.
    scan = await scanned(runtime, principal.account_id)
    before = await reported(runtime, principal)
    for domain, report in before.items():
        for volume in report.daily:
            in_scope = [key for key in scan if key[0] == volume.day and domain in (None, key[1])]
            assert volume.requested == sum(scan[key] for key in in_scope if key[2] == "requested"), (domain, volume)
            assert volume.accepted == sum(scan[key] for key in in_scope if key[2] == "accepted"), (domain, volume)
    march_2, march_3 = before[None].daily
    assert (march_2.requested, march_2.accepted, march_3.requested, march_3.accepted) == (3, 2, 5, 1)
    assert (before["gmail.com"].overall.requested, before["gmail.com"].overall.accepted) == (3, 2)
    overall = before[None].overall
    assert (overall.opened, overall.opened_by_humans, overall.opened_by_machines, overall.clicked_by_machines) == (
        1,
        1,
        1,
        1,
    )
    engagement_before = await runtime.services.engagement.totals(principal, sent.id)

    # Data from before migration 0015 has none of the new counters; the migration fills them from the ledger
    # and the events.
    engine = engines.create_engine(settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(migrate.alembic_config(sync), "0014"))
            left = "SELECT count(*) FROM event_counts WHERE counter IN ('requested', 'accepted', 'human_open')"
            assert (await connection.execute(text(left))).scalar_one() == 0
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    assert await reported(runtime, principal) == before
    assert await runtime.services.engagement.totals(principal, sent.id) == engagement_before
