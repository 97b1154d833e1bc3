"""The hard-bounce and custom blacklists: managing them, and the engine honouring them (expiry included)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.domain import accounts, paging, runs
from mailyard.domain.outcomes import DeliveryOutcome, OutcomeKind
from mailyard.errors import Conflict, InvalidInput, NotFound
from mailyard.web.tencent import actions_blacklists
from mailyard.worker.runner import Worker, WorkerOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)


@pytest.fixture
def worker(runtime: bootstrap.Runtime) -> Worker:
    services = runtime.services
    return Worker(services.sending, services.scheduling, WorkerOptions(batch_size=10, concurrency=2), name="test")


def today(runtime: bootstrap.Runtime, principal: accounts.Principal) -> date:
    from zoneinfo import ZoneInfo

    return runtime.services.clock.now().astimezone(ZoneInfo(principal.time_zone)).date()


async def skipped_addresses(runtime: bootstrap.Runtime, principal: accounts.Principal, task_id: int) -> set[str]:
    page = await runtime.services.tasks.deliveries(principal, task_id, ALL, state=runs.DeliveryState.SKIPPED)
    return {delivery.address for delivery in page.items}


async def test_custom_blacklist_counts_what_it_was_given(runtime: bootstrap.Runtime, team: Any) -> None:
    service, principal = runtime.services.suppressions, team.admin.principal
    report = await service.add_custom(
        principal,
        ["Ann@Example.org", "ann@example.org", "not-an-address", "x" * 250 + "@example.org", "bo@example.org"],
    )
    assert (report.total, report.valid, report.repeated, report.invalid, report.too_long) == (5, 3, 1, 2, 1)
    page = await service.list_custom(principal, ALL)
    assert sorted(entry.address for entry in page.items) == ["ann@example.org", "bo@example.org"]
    assert all(entry.expires_at is None for entry in page.items)

    with pytest.raises(InvalidInput) as empty:
        await service.add_custom(principal, [])
    assert empty.value.code == "addresses_required"


async def test_custom_entries_expire_at_the_start_of_their_day(
    runtime: bootstrap.Runtime, team: Any, clock: Any
) -> None:
    service, principal = runtime.services.suppressions, team.admin.principal
    tomorrow = today(runtime, principal) + timedelta(days=1)
    await service.add_custom(principal, ["soon@example.org"], expires_on=tomorrow)
    await service.add_custom(principal, ["ever@example.org"])

    active = await service.list_custom(principal, ALL, active=True)
    assert {entry.address for entry in active.items} == {"soon@example.org", "ever@example.org"}
    assert (await service.list_custom(principal, ALL, active=False)).total == 0

    clock.advance(days=1)
    expired = await service.list_custom(principal, ALL, active=False)
    assert [entry.address for entry in expired.items] == ["soon@example.org"]
    assert [entry.address for entry in (await service.list_custom(principal, ALL, active=True)).items] == [
        "ever@example.org"
    ]
    filtered = await service.list_custom(principal, ALL, address_contains="EVER")
    assert [entry.address for entry in filtered.items] == ["ever@example.org"]


async def test_run_expansion_honours_the_custom_blacklist_until_it_expires(
    runtime: bootstrap.Runtime, team: Any, make_content: Any, clock: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal)
    tomorrow = today(runtime, principal) + timedelta(days=1)
    await runtime.services.suppressions.add_custom(principal, ["ben@example.org"], expires_on=tomorrow)

    first = await runtime.services.tasks.create(principal, content.task_request())
    assert await skipped_addresses(runtime, principal, first.id) == {"ben@example.org"}
    assert (await runtime.services.tasks.get(principal, first.id)).counters.skipped == 1

    clock.advance(days=1, minutes=1)
    second = await runtime.services.tasks.create(principal, content.task_request())
    assert await skipped_addresses(runtime, principal, second.id) == set()


async def test_update_and_delete_custom_entries(
    runtime: bootstrap.Runtime, team: Any, rival: Any, make_content: Any
) -> None:
    service, principal = runtime.services.suppressions, team.admin.principal
    await service.add_custom(principal, ["one@example.org", "two@example.org"])
    entries = {entry.address: entry for entry in (await service.list_custom(principal, ALL)).items}
    first = entries["one@example.org"]

    day = today(runtime, principal) + timedelta(days=3)
    updated = await service.update_custom(principal, first.id, address=" Uno@Example.org ", expires_on=day)
    assert updated.address == "uno@example.org" and updated.expires_at is not None
    with pytest.raises(Conflict) as taken:
        await service.update_custom(principal, first.id, address="two@example.org", expires_on=None)
    assert taken.value.code == "blacklist_entry_exists"
    with pytest.raises(InvalidInput) as bad:
        await service.update_custom(principal, first.id, address="nobody", expires_on=None)
    assert bad.value.code == "address_invalid"
    with pytest.raises(NotFound):  # never across accounts
        await service.update_custom(rival.admin.principal, first.id, address="x@example.org", expires_on=None)
    assert (await service.list_custom(rival.admin.principal, ALL)).total == 0

    assert await service.remove_custom(principal, ["UNO@example.org", "missing@example.org"]) == 1
    assert [entry.address for entry in (await service.list_custom(principal, ALL)).items] == ["two@example.org"]


async def test_a_hard_bounce_lands_on_the_blacklist_the_tencent_api_lists(
    runtime: bootstrap.Runtime, team: Any, make_content: Any
) -> None:
    services, principal = runtime.services, team.admin.principal
    content = await make_content(principal)
    await services.tasks.create(principal, content.task_request())
    batch = await services.sending.claim("test", 10)
    bounce = DeliveryOutcome(OutcomeKind.FAILED, 550, "5.1.1 no such user", hard_bounce=True)
    sent = DeliveryOutcome(OutcomeKind.SENT, 250, "ok")
    await services.sending.record(
        "test", [(delivery, bounce if delivery.address == "cy@example.org" else sent) for delivery in batch]
    )

    day = today(runtime, principal).isoformat()
    listed = await actions_blacklists.list_black_email_address(
        services, principal, {"StartDate": day, "EndDate": day, "Limit": 10, "Offset": 0}
    )
    assert listed["TotalCount"] == 1
    assert listed["BlackList"][0]["EmailAddress"] == "cy@example.org"
    assert listed["BlackList"][0]["BounceTime"].startswith(day)
    earlier = (today(runtime, principal) - timedelta(days=1)).isoformat()
    before = await actions_blacklists.list_black_email_address(
        services, principal, {"StartDate": earlier, "EndDate": earlier, "Limit": 10, "Offset": 0}
    )
    assert before["TotalCount"] == 0

    again = await services.tasks.create(principal, content.task_request())
    assert await skipped_addresses(runtime, principal, again.id) == {"cy@example.org"}

    await actions_blacklists.delete_black_list(services, principal, {"EmailAddressList": ["cy@example.org"]})
    window = {"StartDate": day, "EndDate": day, "Limit": 10, "Offset": 0}
    assert (await actions_blacklists.list_black_email_address(services, principal, window))["TotalCount"] == 0


async def test_hard_bounce_dates_are_checked(runtime: bootstrap.Runtime, team: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        await runtime.services.suppressions.list_hard_bounces(
            team.admin.principal, ALL, first_day=date(2026, 3, 2), last_day=date(2026, 3, 1)
        )
    assert caught.value.code == "date_range_invalid"
