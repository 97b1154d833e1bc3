"""A task's own statistics and the account's opens and clicks, in a real browser, after real hits on a sent
message's pixel and link (by a link scanner, so they count as a machine's)."""

from __future__ import annotations

import email
import email.policy
import re
import time
from typing import Any

import httpx
from tests.web.dashboard.conftest import Dashboard, NewPage, reload_until, sign_in

SCANNER = {"user-agent": "curl/8.5.0"}
HTML = '<p>Hi {{name}}</p><a href="https://shop.example.com/sale">Sale</a>'


def _sent_task(dashboard: Dashboard, name: str) -> dict[str, Any]:
    """A task of alice's sent to one recipient whose copy a scanner opened and clicked."""
    content = dashboard.content("alice", addresses=["ida@example.org"], list_name=name)
    call = dashboard.service.call
    template = call("alice", "POST", "/templates", {"name": name, "subject": "S", "text": "Hi", "html": HTML})
    task = call(
        "alice",
        "POST",
        "/tasks",
        {
            "from_address": content["sender"],
            "subject": "Sale",
            "template_id": template["id"],
            "recipient_list_id": content["list_id"],
        },
    )
    deadline = time.monotonic() + 30
    while call("alice", "GET", f"/outbox?task_id={task['id']}")["total"] == 0:
        assert time.monotonic() < deadline, "the task was never sent"
        time.sleep(0.1)
    kept = call("alice", "GET", f"/outbox?task_id={task['id']}")["items"][0]
    with dashboard.service.native("alice") as api:
        raw = api.get(f"/outbox/{kept['id']}").content
    part = email.message_from_bytes(raw, policy=email.policy.default).get_body(preferencelist=("html",))
    html = str(part.get_content())  # type: ignore[union-attr]
    assert httpx.get(re.findall(r'<img src="([^"]+)"', html)[0], headers=SCANNER).status_code == 200
    assert httpx.get(re.findall(r'href="([^"]+/c/[^"]+)"', html)[0], headers=SCANNER).status_code == 302
    return task


def _statistics_split(page: Any) -> list[str]:
    return [page.locator(f"[data-origin={kind}]").inner_text() for kind in ("opens", "clicks")]


def _native_split(dashboard: Dashboard, first: str, last: str) -> list[str]:
    overall = dashboard.service.call("alice", "GET", f"/statistics?start={first}&end={last}")["overall"]
    return [
        f"{overall[f'{total}_by_humans']} by people · {overall[f'{total}_by_machines']} by machines"
        for total in ("opened", "clicked")
    ]


def test_a_task_page_charts_its_days_and_shows_opens_and_clicks_by_people_and_machines(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    task = _sent_task(dashboard, "task insight")
    page = new_page()
    sign_in(page, "alice")
    card = "section:has(#insight-title)"
    reload_until(page, f"/tasks/{task['id']}", f"{card} svg.chart rect.chart__bar--opened:not([height='0.0'])")
    chart = page.locator(f"{card} svg.chart")
    assert chart.get_attribute("aria-label") == "What happened to the messages, per day"
    for series in ("sent", "delivered", "clicked"):
        assert page.locator(f"{card} rect.chart__bar--{series}:not([height='0.0'])").count() == 1, series
    legend = page.locator(f"{card} .chart-legend").inner_text()
    assert all(name in legend for name in ("Sent", "Bounced", "Complained", "Opened", "Clicked", "Unsubscribed"))
    assert page.locator("[data-origin=opens]").inner_text() == "0 by people · 1 by machines"
    assert page.locator("[data-origin=clicks]").inner_text() == "0 by people · 1 by machines"
    totals = dashboard.service.call("alice", "GET", f"/tasks/{task['id']}/engagement")
    assert (totals["unique_human_opens"], totals["unique_machine_opens"]) == (0, 1)
    assert (totals["unique_human_clicks"], totals["unique_machine_clicks"]) == (0, 1)

    page.fill("#insight-start", "2001-01-01")
    page.fill("#insight-end", "2001-01-31")
    page.click(f"{card} button:has-text('Show')")
    page.wait_for_url("**start=2001-01-01*")
    assert "Nothing happened in these days." in page.locator(card).inner_text()

    chinese = new_page(locale="zh-CN")
    sign_in(chinese, "alice")
    chinese.goto(f"/tasks/{task['id']}")
    assert chinese.locator("[data-origin=opens]").inner_text() == "人 0 · 机器 1"
    assert chinese.locator(f"{card} svg.chart").get_attribute("aria-label") == "每天邮件的情况"


def test_the_statistics_page_shows_opens_and_clicks_with_people_and_machines_apart(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    _sent_task(dashboard, "statistics insight")
    page = new_page()
    sign_in(page, "alice")
    reload_until(page, "/statistics", "svg.chart rect.chart__bar--clicked:not([height='0.0'])")
    opened = page.locator("[data-total=opened]")
    assert int(opened.locator(".big-number").inner_text()) >= 1
    machines = re.search(r"(\d+) by machines", opened.locator("[data-origin=opens]").inner_text())
    assert machines is not None and int(machines.group(1)) >= 1
    assert "by machines" in page.locator("[data-total=clicked] [data-origin=clicks]").inner_text()
    # The page shows the native API's figures for the same days (read again while a batch of hits was
    # still being recorded between the two reads).
    first, last = page.input_value("#start"), page.input_value("#end")
    deadline = time.monotonic() + 10
    while (shown := _statistics_split(page)) != _native_split(dashboard, first, last):
        assert time.monotonic() < deadline, shown
        page.reload()
    legend = page.locator(".chart-legend").inner_text()
    assert "Opened" in legend and "Clicked" in legend
    assert "Opened" in page.locator("section:has(#days-title) thead").inner_text()
