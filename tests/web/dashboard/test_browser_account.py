"""Statistics, suppressions, domains and administration pages in a real browser."""

from __future__ import annotations

from tests.web.dashboard.conftest import PASSWORD, Dashboard, NewPage, reload_until, sign_in


def test_statistics_draw_the_days_as_an_svg_chart(new_page: NewPage, dashboard: Dashboard) -> None:
    content = dashboard.content("alice", addresses=["sam@example.org", "sue@example.org"], list_name="chart readers")
    dashboard.service.call(
        "alice",
        "POST",
        "/tasks",
        {
            "from_address": content["sender"],
            "subject": "Numbers",
            "template_id": content["template_id"],
            "recipient_list_id": content["list_id"],
        },
    )
    page = new_page()
    sign_in(page, "alice")
    reload_until(page, "/statistics", "svg.chart rect.chart__bar--delivered[height]:not([height='0.0'])")
    chart = page.locator("svg.chart")
    assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-label") == "Messages per day"
    assert int(page.locator(".totals .big-number").first.inner_text()) >= 2


def test_suppressions_add_search_and_remove_with_the_reason(new_page: NewPage, dashboard: Dashboard) -> None:
    page = new_page()
    sign_in(page, "alice")
    page.goto("/suppressions")
    page.click("text=+ Add addresses")
    page.fill("#addresses", "spam@example.org\ntroll@example.org")
    page.click("text=Add to the blacklist")
    page.wait_for_url("**/suppressions")
    rows = page.locator("tbody tr")
    assert rows.count() == 2 and "Blacklisted" in rows.first.inner_text()
    page.fill("#q", "troll")
    page.press("#q", "Enter")
    page.wait_for_url("**q=troll*")
    assert rows.count() == 1
    page.click("button:has-text('Remove')")
    page.wait_for_url("**/suppressions?reason=custom")
    assert page.locator("td:has-text('troll@example.org')").count() == 0
    assert page.locator("td:has-text('spam@example.org')").count() == 1


def test_domains_show_their_records_check_them_and_set_a_sender_password(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    dashboard.content("alice", addresses=["dan@example.org"], list_name="domain readers")
    page = new_page()
    sign_in(page, "alice")
    page.goto("/domains")
    card = page.locator("section:has(h2:text-is('news.example.com'))")
    assert "mailyard._domainkey.news.example.com" in card.inner_text()
    card.locator("button:has-text('Check now')").click()
    page.wait_for_load_state()
    assert "Verified" in page.locator("section:has(h2:text-is('news.example.com'))").inner_text()
    page.fill("input[name=password][id^=password-]", "smtp secret 1")
    page.click("form[action$='/password'] button")
    page.wait_for_url("**saved=*")
    assert "SMTP password saved" in page.locator(".notice--success").inner_text()
    assert "A password is set." in page.content()


def test_administration_adds_a_user_who_can_sign_in_and_keys_are_shown_once(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    page = new_page()
    sign_in(page, "alice")
    page.goto("/admin")
    page.fill("#new-nickname", "erin")
    page.select_option("#new-role", "member")
    page.fill("#new-password", PASSWORD)
    page.click("text=Add user")
    shown = page.locator("[role=alert]")
    assert "New access key for erin" in shown.inner_text() and "SecretKey" in shown.inner_text()
    page.goto("/admin")
    assert page.locator("[role=alert]").count() == 0  # the secret is gone for good
    keys_before = page.locator("section:has(#keys-title) tbody tr").count()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("section:has(#keys-title) tbody tr").last.locator("button:has-text('Revoke')").click()
    page.wait_for_url("**/admin")
    assert page.locator("section:has(#keys-title) tbody tr").count() == keys_before - 1

    member = new_page()
    sign_in(member, "erin")
    member.wait_for_url("**/tasks")
    assert "Administration" not in member.locator("nav.menu").inner_text()
    refused = member.goto("/admin")
    assert refused is not None and refused.status == 403
