"""The dashboard's engagement reports, on SQLite and PostgreSQL: a task's counters per day, and its opens and
clicks by people and by machines from real hits on the pixel and the tracked links; each in the caller's view."""

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
from mailyard.domain.hit_origins import HitOrigins
from mailyard.errors import MailyardError

pytestmark = pytest.mark.timeout(60)
SCANNER = "Barracuda Sentinel (EE)"
PROXY = "Mozilla/5.0 (via ggpht.com GoogleImageProxy) feedfetcher"


@pytest.fixture
async def web(runtime: bootstrap.Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
        yield client


async def test_opens_and_clicks_are_counted_apart_by_people_and_machines_in_the_callers_view(
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

    reports = runtime.services.engagement_reports
    expected = HitOrigins(human_opens=1, machine_opens=2, human_clicks=1, machine_clicks=1)
    assert await reports.task_origins(admin, task.id) == expected
    assert await reports.origins(admin, TODAY, TODAY) == expected
    assert await reports.origins(admin, TODAY + timedelta(days=1), TODAY + timedelta(days=2)) == HitOrigins()

    daily = await reports.task_daily(admin, task.id, TODAY - timedelta(days=13), TODAY)
    assert list(daily) == [TODAY]
    counted = daily[TODAY]
    assert counted[events.Counter.DELIVERED] == 2
    assert (counted[events.Counter.UNIQUE_OPEN], counted[events.Counter.OPEN]) == (2, 4)
    assert counted[events.Counter.UNIQUE_CLICK] == 2

    # A member who neither owns the task nor was given it, and another account, see none of it.
    member = team.members[0].principal
    assert await reports.origins(member, TODAY, TODAY) == HitOrigins()
    assert await reports.origins(rival.admin.principal, TODAY, TODAY) == HitOrigins()
    for outsider in (member, rival.admin.principal):
        with pytest.raises(MailyardError):
            await reports.task_origins(outsider, task.id)
        with pytest.raises(MailyardError):
            await reports.task_daily(outsider, task.id, TODAY, TODAY)
    await runtime.services.tasks.grant(admin, task.id, member.nickname)
    assert await reports.origins(member, TODAY, TODAY) == expected
    assert await reports.task_origins(member, task.id) == expected


async def test_a_reversed_or_too_long_range_is_refused(runtime: bootstrap.Runtime, team: Any) -> None:
    reports = runtime.services.engagement_reports
    with pytest.raises(MailyardError) as reversed_range:
        await reports.origins(team.admin.principal, TODAY, TODAY - timedelta(days=1))
    with pytest.raises(MailyardError) as too_long:
        await reports.origins(team.admin.principal, TODAY - timedelta(days=400), TODAY)
    assert reversed_range.value.code == too_long.value.code == "date_range_invalid"
