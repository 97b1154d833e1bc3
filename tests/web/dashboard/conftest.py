"""A real `mailyard serve` and one headless Chromium (Debian's, driven by Playwright) for the dashboard tests.

The browser tests skip when /usr/bin/chromium is missing, unless MAILYARD_TEST_REQUIRE_BROWSER=1 (CI), where
they fail. Each test gets its own browser context (cookies) and its own client address (X-Forwarded-For, which
uvicorn takes from the local peer), so the sign-in throttle of one test never reaches another.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import LiveService, start_service, stop_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
_addresses = itertools.count(10)


@dataclass
class Dashboard:
    """The running service, its people (all in the one account `default`) and their passwords."""

    service: LiveService

    @property
    def url(self) -> str:
        return self.service.url

    def set_password(self, user: str, password: str = PASSWORD) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "mailyard", "users", "passwd", "--user", user, "--password-stdin"],
            env=self.service.env,
            input=password + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr

    def person(self, user: str, role: str = "member") -> str:
        """A user of the account with a key and a dashboard password; its nickname."""
        self.service.create_key("default", user, role)
        self.set_password(user)
        return user

    def content(self, user: str, *, addresses: list[str], list_name: str) -> dict[str, Any]:
        """A sender, a template and a filled list, made through the native API."""
        call = self.service.call
        domains = {item["domain"] for item in call(user, "GET", "/domains")}
        if "news.example.com" not in domains:
            call(user, "POST", "/domains", {"domain": "news.example.com"})
            call(user, "POST", "/senders", {"address": "hello@news.example.com", "display_name": "News"})
        template = call(
            user,
            "POST",
            "/templates",
            {
                "name": f"welcome {list_name}",
                "subject": "Hi {{name}}",
                "text": "Hello {{name}}",
                "html": "<p>Hello <b>{{name}}</b></p>",
            },
        )
        target = call(user, "POST", "/lists", {"name": list_name})
        rows = [{"address": address, "variables": {"name": address.split("@")[0]}} for address in addresses]
        call(user, "POST", f"/lists/{target['id']}/recipients", {"recipients": rows})
        return {"template_id": template["id"], "list_id": target["id"], "sender": "hello@news.example.com"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: while Playwright's sync API holds the browser open it keeps its event loop marked
    as running, and the async tests of the rest of the suite could not start their own."""
    in_browser = [item for item in items if "browser" in getattr(item, "fixturenames", ())]  # new_page's too
    chosen = set(in_browser)
    items[:] = [item for item in items if item not in chosen] + in_browser


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    service = start_service(tmp_path_factory.mktemp("dashboard"), {"MAILYARD_POLL_SECONDS": "0.05"})
    try:
        found = Dashboard(service)
        found.person("alice", "admin")
        yield found
    finally:
        stop_service(service)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("MAILYARD_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} (MAILYARD_TEST_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


NewPage = Callable[..., Any]


@pytest.fixture
def new_page(browser: Any, dashboard: Dashboard) -> Iterator[NewPage]:
    """`new_page(locale="en-US", width=1280)`: a page in a fresh context with its own client address."""
    contexts: list[Any] = []

    def make(*, locale: str = "en-US", width: int = 1280, height: int = 900) -> Any:
        address = f"198.51.100.{next(_addresses) % 250}"
        context = browser.new_context(
            base_url=dashboard.url,
            locale=locale,
            viewport={"width": width, "height": height},
            extra_http_headers={"X-Forwarded-For": address},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Any, user: str, password: str = PASSWORD, *, account: str = "") -> None:
    page.goto("/")
    page.fill("input[name=account]", account)
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def reload_until(page: Any, path: str, selector: str, *, seconds: float = 30) -> None:
    """Open `path` again until `selector` shows up (the worker sends in the background)."""
    deadline = time.monotonic() + seconds
    page.goto(path)
    while not page.locator(selector).count():
        assert time.monotonic() < deadline, f"{selector} never appeared on {path}"
        page.wait_for_timeout(200)
        page.goto(path)
