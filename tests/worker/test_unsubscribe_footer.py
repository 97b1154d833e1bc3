"""A task that asks for an unsubscribe link gets a footer in its language, in the text and the HTML part, and the
link opens a confirmation page in the same language; the one-click header stays."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

import httpx
import pytest

from mailyard import bootstrap
from mailyard.domain.unsubscribe_texts import TEXTS

pytestmark = pytest.mark.timeout(120)


def parts(message: bytes) -> tuple[str, str, str]:
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    markup = parsed.get_body(preferencelist=("html",))
    assert text is not None and markup is not None
    return str(text.get_content()), str(markup.get_content()), str(parsed["List-Unsubscribe"])


async def test_every_language_gets_its_footer_and_page(
    runtime: bootstrap.Runtime, relay: Any, make_worker: Any, team: Any, make_content: Any
) -> None:
    principal = team.admin.principal
    content = await make_content(principal, addresses=("ann@example.org",))
    for option in TEXTS:
        await runtime.services.tasks.create(principal, content.task_request(unsubscribe=option))
    await make_worker(relay.config()).drain()
    assert len(relay.handler.received) == len(TEXTS)
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as web:
        for _rcpt, message in relay.handler.received:
            text, markup, header = parts(message)
            option = re.search(r"lang=([0-9]+)", header).group(1)  # type: ignore[union-attr]
            texts = TEXTS[option]
            url = header.strip("<>")
            assert f"{texts.footer} {texts.link}: {url}" in text
            assert f'<a href="{url.replace("&", "&amp;")}"' in markup or f'<a href="{url}"' in markup
            assert f'lang="{texts.lang}"' in markup
            page = await web.get(url.removeprefix("http://127.0.0.1:8080"))
            assert page.status_code == 200
            assert f'<html lang="{texts.lang}"' in page.text
            assert texts.button in page.text and "ann@example.org" in page.text
            assert ('dir="rtl"' in page.text) is texts.rtl


async def test_a_bad_link_says_so_in_its_language(runtime: bootstrap.Runtime) -> None:
    transport = httpx.ASGITransport(app=bootstrap.create_web_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://mailyard.test") as web:
        page = await web.get("/unsubscribe/forged.token?lang=7")
        assert page.status_code == 404 and TEXTS["7"].invalid in page.text
        english = await web.get("/unsubscribe/forged.token?lang=<script>")
        assert english.status_code == 404 and TEXTS["2"].invalid in english.text and "<script>" not in english.text
