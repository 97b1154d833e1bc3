"""Opens and clicks end to end: copies sent through a real relay carry a pixel and tracked links; fetching them
with an HTTP client answers at once, and the hits become events, counts and statistics."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from typing import Any

import httpx
import pytest

from mailyard import bootstrap
from mailyard.domain import events, paging
from mailyard.domain.tracking import TrackingOptions

pytestmark = pytest.mark.timeout(60)
ALL = paging.Window(offset=0, limit=500)
TODAY = date(2026, 3, 2)  # the fixed clock's day in Asia/Shanghai
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5"
HTML = (
    "<html><body><p>Hi {{name}}</p>"
    '<a href="https://shop.example.com/sale?a=1&amp;b=2">Sale</a> '
    "<a href='http://example.org/plain'>Plain</a> "
    '<a href="mailto:help@example.com">Mail us</a> <a href="tel:+861234">Call</a> <a href="#top">Top</a> '
    '<a href="https://example.org/u/{{name}}">Yours</a>'
    "</body></html>"
)


def html_of(message: bytes) -> str:
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    part = parsed.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


async def send(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, principal: Any, make_content: Any, **task: Any
) -> tuple[Any, dict[str, str]]:
    number = (await runtime.services.recipients.list_lists(principal, ALL)).total
    content = await make_content(
        principal, addresses=("ann@example.org", "ben@example.org"), list_name=f"readers {number}"
    )
    template = await runtime.services.templates.create(
        principal, name=f"links {number}", subject="Hi", text="Hi", html=HTML
    )
    created = await runtime.services.tasks.create(principal, content.task_request(template_id=template.id, **task))
    await make_worker(relay.config()).drain()
    return created, {rcpt: html_of(data) for rcpt, data in relay.handler.received}


@pytest.fixture
async def web(runtime: bootstrap.Runtime):
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as client:
        yield client


def local(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8080")


async def test_pixel_and_links_are_tracked_and_become_events(
    runtime: bootstrap.Runtime, clock: Any, relay: Any, make_worker: Any, team: Any, make_content: Any, web: Any
) -> None:
    principal = team.admin.principal
    task, bodies = await send(runtime, relay, make_worker, principal, make_content)
    ann = bodies["ann@example.org"]
    pixels = re.findall(r'<img src="([^"]+/o\.gif)"', ann)
    links = re.findall(r'href=["\'](http[^"\']+/c/[^"\']+)["\']', ann)
    assert len(pixels) == 1 and len(links) == 2
    assert 'href="mailto:help@example.com"' in ann and 'href="tel:+861234"' in ann and 'href="#top"' in ann
    assert 'href="https://example.org/u/' in ann  # a link that differs per recipient is left untracked
    assert "ann@example.org" not in pixels[0] + "".join(links)  # no address in clear
    assert bodies["ben@example.org"] != ann  # every copy has its own token

    # A person opens the mail a minute later and clicks the sale link; a scanner clicks at once.
    clock.advance(minutes=1)
    opened = await web.get(local(pixels[0]), headers={"user-agent": BROWSER})
    assert (opened.status_code, opened.headers["content-type"]) == (200, "image/gif")
    clicked = await web.get(local(links[0]), headers={"user-agent": BROWSER})
    assert (clicked.status_code, clicked.headers["location"]) == (302, "https://shop.example.com/sale?a=1&b=2")
    scanned = await web.get(local(links[1]), headers={"user-agent": "Barracuda Sentinel (EE)"})
    assert scanned.headers["location"] == "http://example.org/plain"
    assert await runtime.services.tracking.flush() == 3

    page = await runtime.services.engagement.list_events(principal, task.id, ALL)
    hits = [
        (event.type, event.link, event.machine) for event in page.items if event.type is not events.EventType.DELIVERED
    ]
    assert hits == [
        (events.EventType.OPEN, None, False),
        (events.EventType.CLICK, "https://shop.example.com/sale?a=1&b=2", False),
        (events.EventType.CLICK, "http://example.org/plain", True),
    ]
    totals = await runtime.services.engagement.totals(principal, task.id)
    assert (totals.opens, totals.unique_opens, totals.clicks, totals.unique_clicks) == (1, 1, 2, 1)
    report = await runtime.services.statistics.report(principal, TODAY, TODAY)
    assert (report.overall.opened, report.overall.clicked) == (1, 1)


async def test_machine_and_human_hits_are_counted_apart(
    runtime: bootstrap.Runtime, clock: Any, relay: Any, make_worker: Any, team: Any, make_content: Any, web: Any
) -> None:
    principal = team.admin.principal
    task, bodies = await send(runtime, relay, make_worker, principal, make_content)
    ann_pixel, ben_pixel = (re.findall(r'<img src="([^"]+/o\.gif)"', bodies[rcpt])[0] for rcpt in sorted(bodies))
    ann_link = re.findall(r'href="(http[^"]+/c/[^"]+)"', bodies["ann@example.org"])[0]
    # A privacy proxy fetches both pixels at once; a scanner follows Ann's link; a minute later Ann opens the
    # mail twice and clicks.
    for pixel in (ann_pixel, ben_pixel):
        await web.get(local(pixel), headers={"user-agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"})
    await web.get(local(ann_link), headers={"user-agent": "Barracuda Sentinel (EE)"})
    clock.advance(minutes=1)
    for url in (ann_pixel, ann_pixel, ann_link):
        await web.get(local(url), headers={"user-agent": BROWSER})
    assert await runtime.services.tracking.flush() == 6

    totals = await runtime.services.engagement.totals(principal, task.id)
    assert (totals.opens, totals.unique_opens, totals.clicks, totals.unique_clicks) == (4, 2, 2, 1)
    assert (totals.human_opens, totals.unique_human_opens, totals.machine_opens, totals.unique_machine_opens) == (
        2,
        1,
        2,
        2,
    )
    assert (totals.human_clicks, totals.unique_human_clicks, totals.machine_clicks, totals.unique_machine_clicks) == (
        1,
        1,
        1,
        1,
    )
    overall = (await runtime.services.statistics.report(principal, TODAY, TODAY)).overall
    assert (overall.opened, overall.opened_by_humans, overall.opened_by_machines) == (2, 1, 2)
    assert (overall.clicked, overall.clicked_by_humans, overall.clicked_by_machines) == (1, 1, 1)

    # The native API shows them apart; the cloud counts (GetStatisticsReport) keep counting everyone.
    auth = team.admin.auth
    engagement = (await web.get(f"/v1/tasks/{task.id}/engagement", auth=auth)).json()
    assert (engagement["unique_opens"], engagement["unique_human_opens"], engagement["machine_opens"]) == (2, 1, 2)
    day = TODAY.isoformat()
    statistics = (await web.get("/v1/statistics", params={"start": day, "end": day}, auth=auth)).json()["overall"]
    assert (statistics["opened"], statistics["opened_by_humans"], statistics["opened_by_machines"]) == (2, 1, 2)
    assert (statistics["clicked_by_humans"], statistics["clicked_by_machines"]) == (1, 1)


async def test_forged_and_tampered_tokens_get_a_plain_404(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any, web: Any
) -> None:
    _task, bodies = await send(runtime, relay, make_worker, team.admin.principal, make_content)
    link = local(re.findall(r'href="(http[^"]+/c/[^"]+)"', bodies["ann@example.org"])[0])
    base, _, link_token = link.rpartition("/c/")
    other_base = local(re.findall(r'href="(http[^"]+)/c/', bodies["ben@example.org"])[0])
    evil = "aHR0cHM6Ly9ldmlsLmV4YW1wbGU." + link_token.partition(".")[2]  # https://evil.example with a real MAC
    for path in (
        f"{base}/c/{evil}",
        f"{base}/c/{link_token[:-2]}",
        f"{base[:-3]}/c/{link_token}",
        f"{other_base}x/c/{link_token}",
        "/t/garbage/c/garbage",
        "/t/garbage/o.gif",
        "/t/" + "A" * 9000 + "/o.gif",
    ):
        answer = await web.get(path)
        assert answer.status_code == 404, path
        assert "location" not in answer.headers
    assert await runtime.services.tracking.flush() == 0


async def test_tracking_can_be_turned_off_for_the_account_and_back_on_for_a_task(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    tracking = runtime.services.tracking
    await tracking.set_account_options(principal, TrackingOptions(opens=False, clicks=False))
    assert await tracking.account_options(principal) == TrackingOptions(opens=False, clicks=False)
    _task, bodies = await send(runtime, relay, make_worker, principal, make_content)
    assert "/o.gif" not in bodies["ann@example.org"]
    assert 'href="https://shop.example.com/sale?a=1&amp;b=2"' in bodies["ann@example.org"]

    relay.handler.received.clear()
    _task, bodies = await send(
        runtime, relay, make_worker, principal, make_content, tracking=TrackingOptions(clicks=False)
    )
    assert "/o.gif" in bodies["ann@example.org"]
    assert 'href="https://shop.example.com/sale?a=1&amp;b=2"' in bodies["ann@example.org"]

    with pytest.raises(Exception, match="admin"):
        await tracking.set_account_options(team.members[0].principal, TrackingOptions())
