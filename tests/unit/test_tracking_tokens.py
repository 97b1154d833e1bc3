"""Tracking tokens, the HTML rewrite and the machine rule: pure functions, checked on their own."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from mailyard.domain import tracking
from mailyard.domain.tracking import CopyRef


def sign(message: bytes) -> bytes:
    return hmac.digest(b"k" * 32, message, hashlib.sha256)


def other_key(message: bytes) -> bytes:
    return hmac.digest(b"x" * 32, message, hashlib.sha256)


def verify(message: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(sign(message)[: len(mac)], mac)


def verify_other(message: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(other_key(message)[: len(mac)], mac)


@given(st.integers(min_value=1, max_value=2**63 - 1), st.integers(min_value=1, max_value=2**63 - 1))
def test_a_copy_token_names_its_delivery_and_run(delivery_id: int, run_id: int) -> None:
    ref = CopyRef(delivery_id=delivery_id, run_id=run_id)
    token = tracking.copy_token(sign, ref)
    assert tracking.read_copy_token(verify, token) == ref
    assert tracking.read_copy_token(verify_other, token) is None
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_copy_tokens_are_short_and_refuse_every_change() -> None:
    token = tracking.copy_token(sign, CopyRef(delivery_id=123_456, run_id=789))
    assert len(token) <= 20
    for position in range(len(token)):
        changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        assert tracking.read_copy_token(verify, changed) is None
    for broken in ("", ".", token[:-1], token + "A", token.replace(".", ""), "é" + token):
        assert tracking.read_copy_token(verify, broken) is None


@given(st.text(max_size=300))
def test_garbage_is_never_a_token(text: str) -> None:
    assert tracking.read_copy_token(verify, text) is None
    assert tracking.read_link_token(verify, 1, text) is None


def test_a_link_token_holds_its_url_for_its_run_only() -> None:
    token = tracking.link_token(sign, 7, "https://example.com/a?b=1&c=2")
    assert tracking.read_link_token(verify, 7, token) == "https://example.com/a?b=1&c=2"
    assert tracking.read_link_token(verify, 8, token) is None
    forged = tracking.link_token(other_key, 7, "https://evil.example")
    assert tracking.read_link_token(verify, 7, forged) is None
    not_web = tracking.link_token(sign, 7, "javascript:alert(1)")
    assert tracking.read_link_token(verify, 7, not_web) is None


def test_the_rewrite_tracks_web_links_and_adds_one_pixel() -> None:
    html = (
        '<html><body><a href="https://a.example/x?y=1&amp;z=2">A</a>'
        '<A HREF=\'http://b.example\'>B</A><a href="mailto:m@x.example">M</a><a href="tel:1">T</a>'
        '<a href="#top">#</a><a href="https://c.example/{{name}}">C</a><a href="{{unsubscribe_url}}">U</a>'
        "</body></html>"
    )
    seen: list[str] = []

    def token(url: str) -> str:
        seen.append(url)
        return f"T{len(seen)}"

    rewritten = tracking.rewrite_html(html, token, opens=True, clicks=True)
    assert seen == ["https://a.example/x?y=1&z=2", "http://b.example"]
    assert '<a href="{{__mailyard_track}}/c/T1">A</a>' in rewritten
    assert "<A HREF='{{__mailyard_track}}/c/T2'>B</A>" in rewritten
    for kept in ('href="mailto:m@x.example"', 'href="tel:1"', 'href="#top"', "{{name}}", '"{{unsubscribe_url}}"'):
        assert kept in rewritten
    assert rewritten.count("/o.gif") == 1 and rewritten.index("/o.gif") < rewritten.index("</body>")


def test_the_rewrite_follows_the_options() -> None:
    html = '<p><a href="https://a.example">A</a></p>'
    assert tracking.rewrite_html(html, str, opens=False, clicks=False) == html
    assert "/o.gif" in tracking.rewrite_html(html, str, opens=True, clicks=False)
    assert tracking.rewrite_html(html, lambda url: "T", opens=False, clicks=True).endswith('/c/T">A</a></p>')


def test_machines_are_told_by_their_agent_and_their_speed() -> None:
    browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
    assert not tracking.is_machine(browser, 120.0)
    assert not tracking.is_machine(browser, None)
    assert tracking.is_machine(browser, 2.0)  # within seconds of sending: a prefetch or a scanner
    for agent in (None, "", "python-requests/2.32", "curl/8.5", "Barracuda Sentinel", "Mozilla/5.0 HeadlessChrome"):
        assert tracking.is_machine(agent, 3600.0), agent
