"""Webhooks in the dashboard, in a real browser: add one (its secret shown once), send a test event to a real
HTTP receiver and see the delivery, delete it; internal addresses refused in the page's language; members only
look."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from standardwebhooks import Webhook
from tests.web.conftest import start_service, stop_service
from tests.web.dashboard.conftest import Dashboard, NewPage, reload_until, sign_in
from tests.worker.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture(scope="module")
def allowing_private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A server that may post to this machine's own receiver (MAILYARD_WEBHOOK_ALLOW_PRIVATE=1)."""
    env = {"MAILYARD_POLL_SECONDS": "0.05", "MAILYARD_WEBHOOK_ALLOW_PRIVATE": "1"}
    service = start_service(tmp_path_factory.mktemp("webhooks"), env)
    try:
        found = Dashboard(service)
        found.person("hana", "admin")
        found.content("hana", addresses=["kim@example.org"], list_name="hook readers")  # a sender to choose
        yield found
    finally:
        stop_service(service)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _page_of(browser: Any, dashboard: Dashboard) -> Any:
    context = browser.new_context(base_url=dashboard.url, locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def test_an_admin_adds_a_webhook_tests_it_against_a_real_receiver_and_deletes_it(
    browser: Any, allowing_private: Dashboard, receiver: Receiver
) -> None:
    page = _page_of(browser, allowing_private)
    try:
        sign_in(page, "hana")
        page.click("nav.menu >> text=Administration")
        page.click("text=Manage webhooks")
        page.wait_for_url("**/webhooks")
        page.fill("#url", receiver.url)
        for event in ("open", "click", "spamreport", "unsubscribe", "deferred", "dropped"):
            page.uncheck(f"input[name=events][value={event}]")
        page.fill("#custom", "shop-1")
        page.select_option("#sender", "hello@news.example.com")
        page.click("text=Add webhook")
        shown = page.locator("[data-webhook-secret]")
        secret = shown.locator("code").inner_text()
        assert secret.startswith("whsec_") and receiver.url in shown.inner_text()
        row = page.locator("tbody tr", has_text=receiver.url)
        assert "Delivered" in row.inner_text() and "Bounced" in row.inner_text() and "Opened" not in row.inner_text()
        assert "hello@news.example.com" in row.inner_text()

        page.goto("/webhooks")
        assert page.locator("[data-webhook-secret]").count() == 0  # shown once
        page.click(f"a:text-is('{receiver.url}')")
        page.click("text=Send a test event")
        page.wait_for_url("**tested=1")
        assert "queued" in page.locator(".notice--success").inner_text()
        reload_until(page, page.url, "tbody tr:has(.badge--done)")
        delivery = page.locator("tbody tr").first.inner_text()
        assert "Delivered" in delivery and "200" in delivery and "ok" in delivery

        arrived = receiver.received[0]
        body = Webhook(secret).verify(arrived.body, arrived.headers)
        assert body["event"] == "delivered" and body["email"] == "test@example.com"
        assert body["X-Tencentcloudses-Cb-Custom"] == "shop-1"

        endpoint_path = page.url.split("?")[0].removeprefix(allowing_private.url)
        _a_member_only_looks(browser, allowing_private, endpoint_path)

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button:has-text('Delete')")
        page.wait_for_url("**/webhooks")
        assert page.locator("tbody tr", has_text=receiver.url).count() == 0
        assert allowing_private.service.call("hana", "GET", "/webhooks") == []
    finally:
        page.context.close()


def _a_member_only_looks(browser: Any, dashboard: Dashboard, endpoint_path: str) -> None:
    """A member sees the endpoint and its deliveries, without the admins' buttons; an unknown one is a 404."""
    dashboard.person("ivo")
    page = _page_of(browser, dashboard)
    try:
        sign_in(page, "ivo")
        page.wait_for_url("**/tasks")
        page.goto(endpoint_path)
        assert page.locator("tbody tr:has(.badge--done)").count() == 1
        assert page.locator("button:has-text('Send a test event'), button:has-text('Delete')").count() == 0
        missing = page.goto("/webhooks/999999")
        assert missing is not None and missing.status == 404
    finally:
        page.context.close()


def test_an_internal_address_is_refused_in_the_pages_language_and_nothing_is_added(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    page = new_page()
    sign_in(page, "alice")
    page.goto("/webhooks")
    page.fill("#url", "http://127.0.0.1:9/hooks")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.click("text=Add webhook")
    assert answer.value.status == 400
    problem = page.locator("#url-problem")
    assert "internal addresses" in problem.inner_text() and "127.0.0.1" in problem.inner_text()
    assert page.input_value("#url") == "http://127.0.0.1:9/hooks"  # kept for correcting

    chinese = new_page(locale="zh-CN")
    sign_in(chinese, "alice")
    chinese.click("nav.menu >> text=管理")
    chinese.click("text=管理回调")
    chinese.fill("#url", "http://localhost:9/hooks")
    chinese.click("button:has-text('添加回调')")
    assert "内部地址" in chinese.locator("#url-problem").inner_text()
    assert dashboard.service.call("alice", "GET", "/webhooks") == []


def test_a_member_sees_the_webhooks_but_cannot_add_test_or_delete_them(new_page: NewPage, dashboard: Dashboard) -> None:
    dashboard.person("walt")
    page = new_page()
    sign_in(page, "walt")
    page.wait_for_url("**/tasks")
    page.goto("/webhooks")
    assert page.locator("#url").count() == 0 and "An admin of the account can add them." in page.content()
    token = page.locator("body").get_attribute("data-csrf")
    refused = page.request.post(
        "/webhooks", form={"url": "https://hooks.example.com/x", "csrf_token": token}, headers={"Origin": dashboard.url}
    )
    assert refused.status == 403
    assert dashboard.service.call("alice", "GET", "/webhooks") == []
