"""Opens and clicks by people and by machines on the dashboard, on SQLite and PostgreSQL, after real hits on the
pixel and the tracked links at fixed times: the task page and the statistics page show the daily counters' split,
the very figures the native API answers, each in the caller's view, still after the events are purged; and a
task's counters per day for its chart."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.worker.test_tracking import BROWSER, TODAY, local, send

from mailyard import bootstrap
from mailyard.domain import events
from mailyard.domain.retention import RetainedKind, RetentionPolicy
from mailyard.errors import MailyardError
from mailyard.services.retention import RetentionService

pytestmark = pytest.mark.timeout(60)
SCANNER = "Barracuda Sentinel (EE)"
PROXY = "Mozilla/5.0 (via ggpht.com GoogleImageProxy) feedfetcher"
PASSWORD = "a long password"
SPLIT = re.compile(r'data-origin="(opens|clicks)">(\d+) by people · (\d+) by machines<')


@pytest.fixture
async def web(runtime: bootstrap.Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
        yield client


async def _browser(runtime: bootstrap.Runtime, person: Any, account: str) -> httpx.AsyncClient:
    """A dashboard session of the person's, signed in with a password set by the account's operator."""
    operator = await runtime.services.access.operator(account)
    await runtime.services.sign_in.reset_password(operator, person.principal.user_id, PASSWORD)
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    client = httpx.AsyncClient(transport=transport, base_url="http://mailyard.test")
    form = {"account": account, "user": person.nickname, "password": PASSWORD}
    assert (await client.post("/sign-in", data=form)).status_code == 303
    return client


def _split(page: httpx.Response) -> dict[str, tuple[int, int]]:
    """What a page shows of opens and clicks: (by people, by machines)."""
    assert page.status_code == 200, page.status_code
    return {kind: (int(people), int(machines)) for kind, people, machines in SPLIT.findall(page.text)}


async def _task_api(web: httpx.AsyncClient, person: Any, task_id: int) -> dict[str, tuple[int, int]]:
    totals = (await web.get(f"/v1/tasks/{task_id}/engagement", auth=person.auth)).json()
    return {
        "opens": (totals["unique_human_opens"], totals["unique_machine_opens"]),
        "clicks": (totals["unique_human_clicks"], totals["unique_machine_clicks"]),
    }


async def _statistics_api(web: httpx.AsyncClient, person: Any) -> dict[str, tuple[int, int]]:
    answer = await web.get(f"/v1/statistics?start={TODAY}&end={TODAY}", auth=person.auth)
    overall = answer.json()["overall"]
    return {
        "opens": (overall["opened_by_humans"], overall["opened_by_machines"]),
        "clicks": (overall["clicked_by_humans"], overall["clicked_by_machines"]),
    }


async def test_the_pages_show_opens_and_clicks_by_people_and_machines_as_the_native_api_counts_them(
    runtime: bootstrap.Runtime,
    clock: Any,
    relay: Any,
    make_worker: Any,
    team: Any,
    rival: Any,
    make_content: Any,
    web: Any,
) -> None:
    admin = team.admin.principal
    task, bodies = await send(runtime, relay, make_worker, admin, make_content)
    ann, ben = bodies["ann@example.org"], bodies["ben@example.org"]
    pixel = re.compile(r'<img src="([^"]+/o\.gif)"')
    link = re.compile(r'href="(http[^"]+/c/[^"]+)"')
    # A privacy proxy fetches both pixels at once; ann opens a minute later twice and clicks; a scanner clicks
    # ben's link.
    for body in (ann, ben):
        await web.get(local(pixel.findall(body)[0]), headers={"user-agent": PROXY})
    clock.advance(minutes=1)
    for _ in range(2):
        await web.get(local(pixel.findall(ann)[0]), headers={"user-agent": BROWSER})
    await web.get(local(link.findall(ann)[0]), headers={"user-agent": BROWSER})
    await web.get(local(link.findall(ben)[0]), headers={"user-agent": SCANNER})
    assert await runtime.services.tracking.flush() == 6

    expected = {"opens": (1, 2), "clicks": (1, 1)}
    alice = await _browser(runtime, team.admin, "acme")
    task_page, statistics_page = f"/tasks/{task.id}", f"/statistics?start={TODAY}&end={TODAY}"
    assert _split(await alice.get(task_page)) == await _task_api(web, team.admin, task.id) == expected
    assert _split(await alice.get(statistics_page)) == await _statistics_api(web, team.admin) == expected
    later = f"/statistics?start={TODAY + timedelta(days=1)}&end={TODAY + timedelta(days=2)}"
    assert _split(await alice.get(later)) == {"opens": (0, 0), "clicks": (0, 0)}

    # A member who neither owns the task nor was given it, and another account, see none of it.
    nothing = {"opens": (0, 0), "clicks": (0, 0)}
    bob = await _browser(runtime, team.members[0], "acme")
    gina = await _browser(runtime, rival.admin, "globex")
    for outsider, client in ((team.members[0], bob), (rival.admin, gina)):
        assert _split(await client.get(statistics_page)) == await _statistics_api(web, outsider) == nothing
        assert (await client.get(task_page)).status_code in (403, 404)
    await runtime.services.tasks.grant(admin, task.id, team.members[0].nickname)
    assert _split(await bob.get(task_page)) == await _task_api(web, team.members[0], task.id) == expected
    assert _split(await bob.get(statistics_page)) == await _statistics_api(web, team.members[0]) == expected

    # The events may be purged (MAILYARD_RETAIN_EVENTS_DAYS); the counters, and so the pages, keep the split.
    clock.advance(days=8)
    retention = RetentionService(runtime.store, clock, RetentionPolicy(events_days=7))
    assert (await retention.purge())[RetainedKind.EVENTS] == 8
    await alice.aclose()
    alice = await _browser(runtime, team.admin, "acme")  # the first session has expired by now
    assert _split(await alice.get(task_page)) == await _task_api(web, team.admin, task.id) == expected
    assert _split(await alice.get(statistics_page)) == await _statistics_api(web, team.admin) == expected
    for client in (alice, bob, gina):
        await client.aclose()


async def test_a_tasks_counters_per_day_in_the_callers_view(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, rival: Any, make_content: Any, web: Any
) -> None:
    admin = team.admin.principal
    task, bodies = await send(runtime, relay, make_worker, admin, make_content)
    for body in bodies.values():
        await web.get(local(re.findall(r'<img src="([^"]+/o\.gif)"', body)[0]), headers={"user-agent": BROWSER})
    assert await runtime.services.tracking.flush() == 2

    reports = runtime.services.engagement_reports
    daily = await reports.task_daily(admin, task.id, TODAY - timedelta(days=13), TODAY)
    assert list(daily) == [TODAY]
    assert daily[TODAY][events.Counter.DELIVERED] == 2
    assert daily[TODAY][events.Counter.UNIQUE_OPEN] == 2
    assert await reports.task_daily(admin, task.id, TODAY + timedelta(days=1), TODAY + timedelta(days=2)) == {}
    for outsider in (team.members[0].principal, rival.admin.principal):
        with pytest.raises(MailyardError):
            await reports.task_daily(outsider, task.id, TODAY, TODAY)


async def test_a_reversed_or_too_long_range_is_refused(runtime: bootstrap.Runtime, team: Any) -> None:
    reports = runtime.services.engagement_reports
    with pytest.raises(MailyardError) as reversed_range:
        await reports.task_daily(team.admin.principal, 1, TODAY, TODAY - timedelta(days=1))
    with pytest.raises(MailyardError) as too_long:
        await reports.task_daily(team.admin.principal, 1, TODAY - timedelta(days=400), TODAY)
    assert reversed_range.value.code == too_long.value.code == "date_range_invalid"
