"""Tasks in a real browser: create one and watch it send without reloading, steer it, and who may do what."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from tests.web.dashboard.conftest import Dashboard, NewPage, sign_in

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "task.png"
RECIPIENTS = 40


def _task(dashboard: Dashboard, user: str, list_name: str, **schedule: Any) -> dict[str, Any]:
    content = dashboard.content(user, addresses=[f"r{number}@example.org" for number in range(3)], list_name=list_name)
    body = {
        "name": f"{list_name} task",
        "from_address": content["sender"],
        "subject": "Hello {{name}}",
        "template_id": content["template_id"],
        "recipient_list_id": content["list_id"],
        "schedule": schedule or {"type": "recurring", "begin_at": "2030-01-01T09:00:00+08:00", "interval_hours": 24},
    }
    created: dict[str, Any] = dashboard.service.call(user, "POST", "/tasks", body)
    return created


def test_create_a_task_and_watch_its_counters_reach_the_end_without_reloading(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    addresses = [f"reader{number}@example.org" for number in range(RECIPIENTS)]
    dashboard.content("alice", addresses=addresses, list_name="live readers")
    page = new_page()
    sign_in(page, "alice")
    page.click("text=+ New task")
    page.fill("#name", "Spring newsletter")
    page.fill("#subject", "Spring news for {{name}}")
    page.select_option("#recipient_list", label=f"live readers ({RECIPIENTS} recipients)")
    page.check("input[name=when][value=at]")
    # A few seconds from now, in the account's zone: the page opens before the first message goes out.
    starts = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(seconds=4)
    page.fill("#begin_at", starts.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("text=Create task")
    page.wait_for_url(re.compile(r".*/tasks/\d+$"))
    assert page.locator("[data-progress=sent]").inner_text() == "0"
    assert page.locator("[data-progress=requested]").inner_text() == "0"
    page.evaluate("window.stillTheSamePage = true")

    page.locator(f"[data-progress=sent]:text-is('{RECIPIENTS}')").wait_for(timeout=60_000)
    page.locator("[data-progress=status]:has-text('Done')").wait_for()
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.locator("[data-progress=requested]").inner_text() == str(RECIPIENTS)
    assert page.locator("[data-progress=failed]").inner_text() == "0"
    assert page.locator("progress[data-progress=bar]").get_attribute("value") == "100"
    page.wait_for_timeout(300)  # the bar's transition
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.reload()
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.fill("#address", "reader7@")
    page.press("#address", "Enter")
    page.wait_for_url("**address=reader7*")
    assert page.locator("section:has(#deliveries-title) tbody tr").count() == 1


def test_pause_and_resume_a_task(new_page: NewPage, dashboard: Dashboard) -> None:
    task = _task(dashboard, "alice", "pause readers")
    page = new_page()
    sign_in(page, "alice")
    page.goto(f"/tasks/{task['id']}")
    page.click("button:has-text('Pause')")
    page.locator("[data-progress=status]:has-text('Paused')").wait_for()
    assert dashboard.service.call("alice", "GET", f"/tasks/{task['id']}")["paused"] is True
    page.click("button:has-text('Resume')")
    page.locator("[data-progress=status]:has-text('Waiting')").wait_for()
    assert dashboard.service.call("alice", "GET", f"/tasks/{task['id']}")["paused"] is False
    page.goto("/tasks?paused=no")
    assert page.locator(f"a[href='/tasks/{task['id']}']").count() == 1
    page.goto("/tasks?paused=yes")
    assert page.locator(f"a[href='/tasks/{task['id']}']").count() == 0


def test_a_member_can_neither_see_nor_steer_anothers_task_even_by_url(new_page: NewPage, dashboard: Dashboard) -> None:
    task = _task(dashboard, "alice", "private readers")
    dashboard.person("bob")
    page = new_page()
    sign_in(page, "bob")
    page.wait_for_url("**/tasks")
    assert page.locator(f"a[href='/tasks/{task['id']}']").count() == 0
    assert "Administration" not in page.locator("nav.menu").inner_text()
    csrf = page.evaluate("document.body.dataset.csrf")

    answer = page.goto(f"/tasks/{task['id']}")
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == "Not found"
    for action in ("pause", "cancel", "run"):
        refused = page.request.post(f"/tasks/{task['id']}/{action}", form={"csrf_token": csrf})
        assert refused.status == 404
    progress = page.request.get(f"/tasks/{task['id']}/progress", headers={"Accept": "application/json"})
    assert progress.status == 404
    after = dashboard.service.call("alice", "GET", f"/tasks/{task['id']}")
    assert after["paused"] is False and after["state"] == "pending"


def test_a_change_without_its_token_or_from_another_site_is_refused(new_page: NewPage, dashboard: Dashboard) -> None:
    task = _task(dashboard, "alice", "csrf readers")
    page = new_page()
    sign_in(page, "alice")
    page.goto(f"/tasks/{task['id']}")
    csrf = page.evaluate("document.body.dataset.csrf")
    without_token = page.request.post(f"/tasks/{task['id']}/pause", form={})
    assert without_token.status == 403
    wrong_token = page.request.post(f"/tasks/{task['id']}/pause", form={"csrf_token": csrf + "x"})
    assert wrong_token.status == 403
    foreign = page.request.post(
        f"/tasks/{task['id']}/pause", form={"csrf_token": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status == 403
    assert dashboard.service.call("alice", "GET", f"/tasks/{task['id']}")["paused"] is False
    # The same cookie from a plain client without the token is refused as well.
    cookies = {found["name"]: found["value"] for found in page.context.cookies()}
    assert httpx.post(f"{dashboard.url}/tasks/{task['id']}/cancel", cookies=cookies).status_code == 403
    accepted = page.request.post(f"/tasks/{task['id']}/pause", form={"csrf_token": csrf})
    assert accepted.ok
    assert dashboard.service.call("alice", "GET", f"/tasks/{task['id']}")["paused"] is True


def test_the_chinese_interface(new_page: NewPage, dashboard: Dashboard) -> None:
    page = new_page(locale="zh-CN")
    page.goto("/")
    assert page.locator("h1").inner_text() == "登录"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    sign_in(page, "alice")
    page.wait_for_url("**/tasks")
    assert page.locator("nav.menu").inner_text().split("\n") == [
        "任务", "模板", "收件人列表", "发件箱", "统计", "黑名单", "域名", "管理",
    ]  # fmt: skip
    page.click("text=English")
    page.wait_for_url("**/tasks")
    assert page.locator("h1").inner_text() == "Tasks"


def test_pages_fit_a_phone_without_sideways_scrolling(new_page: NewPage, dashboard: Dashboard) -> None:
    task = _task(dashboard, "alice", "phone readers")
    page = new_page(width=390, height=844)
    sign_in(page, "alice")
    pages = ("/tasks", f"/tasks/{task['id']}", "/tasks/new", "/lists", "/templates", "/templates/new", "/outbox")
    for path in (*pages, "/statistics", "/suppressions", "/domains", "/webhooks", "/admin"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
