"""Recipient lists with a CSV upload, templates with their live preview, and a sent message in the outbox."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.web.dashboard.conftest import Dashboard, NewPage, reload_until, sign_in


def test_create_a_list_and_upload_a_csv_with_a_report_of_invalid_rows(
    new_page: NewPage, dashboard: Dashboard, tmp_path: Path
) -> None:
    page = new_page()
    sign_in(page, "alice")
    page.click("nav.menu >> text=Recipient lists")
    if not page.is_visible("#list-name"):  # the form starts folded once lists exist
        page.click("summary:has-text('New recipient list')")
    page.fill("#list-name", "spring readers")
    page.click("text=Create list")
    page.wait_for_url("**/lists/*")
    assert page.locator("h1").inner_text() == "spring readers"
    assert "This list is empty" in page.content()

    csv_file = tmp_path / "readers.csv"
    csv_file.write_text("email,name\nann@example.org,Ann\nnot-an-address,Bob\nben@example.org,Ben\n")
    page.set_input_files("#file", str(csv_file))
    page.click("button:has-text('Upload')")
    report = page.locator("[data-upload-report] .notice")
    report.wait_for()
    assert "2 of 3 rows are valid" in report.inner_text()
    assert report.locator("tbody tr").all_inner_texts() == ["3\tnot-an-address\taddress has no @"]

    page.click("text=Show the recipients")
    rows = page.locator("section:has(#recipients-title) tbody tr")
    assert rows.count() == 3
    page.fill("#q", "ben@")
    page.press("#q", "Enter")
    page.wait_for_url("**q=ben%40*")
    assert rows.all_inner_texts()[0].startswith("ben@example.org")


def test_create_a_template_and_see_its_preview_with_a_recipients_variables(
    new_page: NewPage, dashboard: Dashboard
) -> None:
    dashboard.content("alice", addresses=["zoe@example.org"], list_name="preview readers")
    page = new_page()
    sign_in(page, "alice")
    page.goto("/templates/new")
    page.fill("#name", "autumn news")
    page.fill("#subject", "News for {{name}}")
    page.fill("#html", "<h1>Hello {{name}}</h1><p>Your code is {{code}}</p>")
    page.click("text=Create template")
    page.wait_for_url("**/templates/*")

    page.select_option("#preview-list", label="preview readers")
    page.fill("#preview-recipient", "zoe@example.org")
    subject = page.locator("[data-preview-subject]")
    subject.filter(has_text="News for zoe").wait_for()
    frame = page.frame_locator("[data-preview-html]")
    assert frame.locator("h1").inner_text() == "Hello zoe"
    missing = page.locator("[data-preview-missing]")
    assert missing.is_visible() and "{{code}}" in missing.inner_text()


def test_open_a_sent_message_as_a_mail_client_shows_it(new_page: NewPage, dashboard: Dashboard) -> None:
    content = dashboard.content("alice", addresses=["mia@example.org"], list_name="outbox readers")
    task = dashboard.service.call(
        "alice",
        "POST",
        "/tasks",
        {
            "from_address": content["sender"],
            "subject": "Letter for {{name}}",
            "template_id": content["template_id"],
            "recipient_list_id": content["list_id"],
            "schedule": {"type": "immediate"},
        },
    )
    page = new_page()
    sign_in(page, "alice")
    reload_until(page, f"/outbox?task={task['id']}", "a:has-text('mia@example.org')")
    page.click("a:has-text('mia@example.org')")
    assert page.locator("h1").inner_text() == "Letter for mia"
    assert page.frame_locator("iframe.mail__frame").locator("b").inner_text() == "mia"
    page.click("[role=tab]:has-text('Text')")
    assert "Hello mia" in page.locator("#panel-text").inner_text()
    page.click("[role=tab]:has-text('Raw source')")
    assert "Message-ID:" in page.locator("#panel-raw").inner_text()

    # The HTML part is served so that it can run nothing and fetch nothing from anywhere.
    cookies = {found["name"]: found["value"] for found in page.context.cookies()}
    html = httpx.get(f"{page.url}/html", cookies=cookies)
    policy = html.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
