"""Signing in and out in a real browser; the session ends on the server; the throttle on wrong passwords."""

from __future__ import annotations

import httpx
from tests.web.dashboard.conftest import PASSWORD, Dashboard, NewPage, sign_in


def test_a_browser_on_the_root_gets_the_sign_in_page_then_the_dashboard(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    page = new_page()
    page.goto("/")
    assert page.url.endswith("/sign-in?next=/tasks")
    assert page.get_attribute("input#user", "name") == "user"
    sign_in(page, "alice")
    page.wait_for_url("**/tasks")
    assert page.locator("h1").inner_text() == "Tasks"
    assert page.locator("nav.menu").inner_text().split("\n") == [
        "Tasks",
        "Templates",
        "Recipient lists",
        "Outbox",
        "Statistics",
        "Suppressions",
        "Domains",
        "Administration",
    ]
    cookie = next(found for found in page.context.cookies() if found["name"] == "mailyard_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.click("text=Sign out")
    page.wait_for_url("**/sign-in")
    # The old cookie is worthless: the session ended on the server, not just in the browser.
    replayed = httpx.get(f"{dashboard.url}/tasks", cookies={"mailyard_session": cookie["value"]})
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/sign-in")


def test_the_cloud_doors_keep_the_root(dashboard: Dashboard) -> None:
    answer = httpx.post(f"{dashboard.url}/", json={})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "unknown_protocol"


def test_a_wrong_password_is_refused_and_five_failures_throttle_the_user(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    dashboard.person("dora")
    page = new_page()
    sign_in(page, "dora", "not the password")
    assert "not right" in page.locator("[role=alert]").inner_text()
    for _attempt in range(4):
        sign_in(page, "dora", "still wrong")
    # From another client address too: the user's failures count, and the right password is refused for now.
    elsewhere = new_page()
    elsewhere.goto("/sign-in")
    with elsewhere.expect_response("**/sign-in") as answer:
        sign_in(elsewhere, "dora", PASSWORD)
    assert answer.value.status == 429
    assert int(answer.value.headers["retry-after"]) > 0
    assert "Too many failed attempts" in elsewhere.locator("[role=alert]").inner_text()
