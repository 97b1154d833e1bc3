"""A real `mailyard serve`: a hit answered just before a clean stop (SIGTERM) is still recorded."""

from __future__ import annotations

import email
import email.policy
import re
import time
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import start_service, stop_service

pytestmark = pytest.mark.timeout(120)
HTML = '<p>Hi</p><a href="https://example.com/offer">Offer</a>'


def test_hits_are_written_on_a_clean_stop(tmp_path: Path) -> None:
    service = start_service(tmp_path / "data")
    try:
        service.create_key("default", "admin")
        service.call("admin", "POST", "/domains", {"domain": "example.com"})
        service.call("admin", "POST", "/senders", {"address": "news@example.com"})
        template = service.call("admin", "POST", "/templates", {"name": "t", "text": "Hi", "html": HTML})
        listed = service.call("admin", "POST", "/lists", {"name": "l"})
        with service.native("admin") as api:
            api.post(
                f"/lists/{listed['id']}/recipients.csv",
                content="email\nann@example.org\n",
                headers={"content-type": "text/csv"},
            ).raise_for_status()
        task = service.call(
            "admin",
            "POST",
            "/tasks",
            {
                "from_address": "news@example.com",
                "subject": "S",
                "template_id": template["id"],
                "recipient_list_id": listed["id"],
            },
        )
        deadline = time.monotonic() + 30
        while service.call("admin", "GET", f"/outbox?task_id={task['id']}")["total"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        kept = service.call("admin", "GET", f"/outbox?task_id={task['id']}")["items"][0]
        with service.native("admin") as api:
            raw = api.get(f"/outbox/{kept['id']}").content
        part = email.message_from_bytes(raw, policy=email.policy.default).get_body(preferencelist=("html",))
        html = str(part.get_content())  # type: ignore[union-attr]
        pixel = re.findall(r'<img src="([^"]+)"', html)[0]
        link = re.findall(r'href="([^"]+/c/[^"]+)"', html)[0]
        browser = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}
        assert httpx.get(pixel, headers=browser).status_code == 200
        clicked = httpx.get(link, headers=browser)
        assert (clicked.status_code, clicked.headers["location"]) == (302, "https://example.com/offer")
    finally:
        stop_service(service)  # SIGTERM right after the hits: the buffer is written on the way out
    again = start_service(tmp_path / "data")
    try:
        again.keys = service.keys
        totals = again.call("admin", "GET", f"/tasks/{task['id']}/engagement")
        assert (totals["opens"], totals["clicks"]) == (1, 1)
    finally:
        stop_service(again)
