"""Administration in a real browser: changing a user's role, with the rules of the native API."""

from __future__ import annotations

from tests.web.dashboard.conftest import Dashboard, NewPage, sign_in


def _user_id(dashboard: Dashboard, nickname: str) -> int:
    return next(user["id"] for user in dashboard.service.call("alice", "GET", "/users") if user["nickname"] == nickname)


def test_an_admin_makes_a_member_admin_who_may_then_step_down(new_page: NewPage, dashboard: Dashboard) -> None:
    dashboard.person("fay", "member")
    fay_id = _user_id(dashboard, "fay")
    page = new_page()
    sign_in(page, "alice")
    page.goto("/admin")
    role_form = page.locator(f"form[action='/admin/users/{fay_id}/role']")
    assert role_form.locator("select").input_value() == "member"
    role_form.locator("select").select_option("admin")
    role_form.locator("button:has-text('Change')").click()
    assert "Role changed" in page.locator(".notice--success").inner_text()
    assert page.locator(f"form[action='/admin/users/{fay_id}/role'] select").input_value() == "admin"

    fay = new_page()
    sign_in(fay, "fay")
    fay.wait_for_url("**/tasks")
    assert "Administration" in fay.locator("nav.menu").inner_text()
    fay.goto("/admin")
    own_form = fay.locator(f"form[action='/admin/users/{fay_id}/role']")
    own_form.locator("select").select_option("member")
    own_form.locator("button:has-text('Change')").click()
    fay.wait_for_url("**/tasks")
    assert "Administration" not in fay.locator("nav.menu").inner_text()
    refused = fay.goto("/admin")
    assert refused is not None and refused.status == 403


def test_error_pages_in_chinese_keep_the_menu_and_the_specifics(new_page: NewPage, dashboard: Dashboard) -> None:
    page = new_page(locale="zh-CN")
    sign_in(page, "alice")
    page.wait_for_url("**/tasks")
    missing = page.goto("/no/such/page")
    assert missing is not None and missing.status == 404
    assert page.locator("h1").inner_text() == "找不到" and "管理" in page.locator("nav.menu").inner_text()

    page.goto("/admin")
    page.fill("#daily_quota", "99999999999")
    page.click("form[action='/admin/account'] button[type=submit]")
    shown = page.locator("[role=alert]").inner_text()
    assert "填写的部分内容无效。" in shown and "2147483647" in shown
    assert "任务" in page.locator("nav.menu").inner_text()
