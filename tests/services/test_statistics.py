"""GetStatisticsReport counts come from the ledger and the event counters, per day of the account's time zone;
abuse reports list complaints."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import messages, paging, runs, suppressions
from mailyard.errors import InvalidInput
from mailyard.services.single_sends import SendRequest
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)
FIRST_DAY = date(2026, 3, 2)  # the fixed clock starts at 09:00 in Asia/Shanghai on this day


async def ledger_totals(runtime: bootstrap.Runtime, principal: Any, task_ids: list[int]) -> dict[str, int]:
    totals = {"requested": 0, "accepted": 0, "delivered": 0, "bounced": 0}
    for task_id in task_ids:
        page = await runtime.services.tasks.deliveries(principal, task_id, ALL)
        states = [delivery.state for delivery in page.items]
        totals["requested"] += len(states)
        totals["accepted"] += sum(state is not runs.DeliveryState.SKIPPED for state in states)
        totals["delivered"] += states.count(runs.DeliveryState.SENT)
        totals["bounced"] += states.count(runs.DeliveryState.FAILED)
    return totals


def single(content: Any, destination: list[str]) -> SendRequest:
    return SendRequest(
        from_address=content.sender,
        subject="Hi",
        template_id=content.template_id,
        variables={"name": "x"},
        destination=destination,
    )


async def test_report_counts_equal_the_ledger_per_local_day(
    runtime: bootstrap.Runtime, clock: Any, team: Any, rival: Any, make_content: Any
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
    worker = Worker(runtime.services.sending, runtime.services.scheduling, WorkerOptions(batch_size=10), name="t")
    batch = await runtime.services.tasks.create(principal, content.task_request())
    first = await runtime.services.single_sends.send(principal, single(content, ["dee@gmail.com", "cy@example.org"]))
    await worker.drain()
    clock.advance(hours=16)  # 17:00 UTC on March 2 is 01:00 on March 3 in Shanghai
    second = await runtime.services.single_sends.send(principal, single(content, ["eve@example.org"]))
    await worker.drain()
    rival_content = await make_content(rival.admin.principal, addresses=(), domain="rival.example.com")
    await runtime.services.single_sends.send(rival.admin.principal, single(rival_content, ["x@example.org"]))

    statistics = runtime.services.statistics
    report = await statistics.report(principal, FIRST_DAY - timedelta(days=3), FIRST_DAY + timedelta(days=3))
    assert [volume.day for volume in report.daily] == [FIRST_DAY, FIRST_DAY + timedelta(days=1)]
    march_2, march_3 = report.daily
    expected = await ledger_totals(runtime, principal, [batch.id, first.task_id])
    assert (march_2.requested, march_2.accepted, march_2.delivered, march_2.bounced) == tuple(expected.values())
    # Skipped for an earlier unsubscribe: requested but not accepted; UnsubscribeCount counts links followed.
    assert (march_2.requested, march_2.accepted, march_2.unsubscribed) == (5, 3, 0)
    assert (march_3.requested, march_3.delivered) == (1, 1)
    assert report.overall.day == FIRST_DAY - timedelta(days=3)
    assert report.overall.requested == 6 and report.overall.delivered == 4 and report.overall.unsubscribed == 0

    gmail = await statistics.report(principal, FIRST_DAY, FIRST_DAY, recipient_domain="Gmail.com")
    assert [(volume.day, volume.requested) for volume in gmail.daily] == [(FIRST_DAY, 2)]
    other_domain = await statistics.report(principal, FIRST_DAY, FIRST_DAY + timedelta(days=1), sender_domain="x.org")
    assert other_domain.daily == [] and other_domain.overall.requested == 0
    own_domain = await statistics.report(
        principal, FIRST_DAY, FIRST_DAY + timedelta(days=1), sender_domain="news.example.com"
    )
    assert own_domain.overall.requested == 6
    rival_report = await statistics.report(rival.admin.principal, FIRST_DAY, FIRST_DAY + timedelta(days=1))
    assert rival_report.overall.requested == 1
    assert second.task_id != first.task_id


async def test_report_and_abuse_report_check_their_dates(runtime: bootstrap.Runtime, team: Any) -> None:
    statistics = runtime.services.statistics
    principal = team.admin.principal
    for first_day, last_day in (
        (FIRST_DAY, FIRST_DAY - timedelta(days=1)),
        (FIRST_DAY, FIRST_DAY + timedelta(days=366)),
    ):
        with pytest.raises(InvalidInput) as caught:
            await statistics.report(principal, first_day, last_day)
        assert caught.value.code == "date_range_invalid"
        with pytest.raises(InvalidInput):
            await statistics.abuse_reports(principal, first_day, last_day, ALL)
    assert (await statistics.abuse_reports(principal, FIRST_DAY, FIRST_DAY, ALL)).total == 0
    empty = await statistics.report(principal, FIRST_DAY, FIRST_DAY)
    assert empty.daily == [] and empty.overall == messages.Volume(day=FIRST_DAY)
