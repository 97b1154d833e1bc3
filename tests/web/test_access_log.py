"""No signature, secret or token in the access log of a real `mailyard serve`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tests.web.conftest import LiveService, start_service, stop_service

from mailyard.web.access_log import redacted_target

pytestmark = [pytest.mark.timeout(120), pytest.mark.acceptance]


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("/?Action=X&Signature=abc%2Bdef&Nonce=1", "/?Action=X&Signature=[redacted]&Nonce=1"),
        ("/?signature=a&Token=b&SecurityToken=c", "/?signature=[redacted]&Token=[redacted]&SecurityToken=[redacted]"),
        ("/?Signatur%65=hidden", "/?Signatur%65=[redacted]"),  # the name as the door decodes it
        ("/unsubscribe/dG9rZW4", "/unsubscribe/[redacted]"),
        ("/unsubscribe/dG9rZW4?x=1", "/unsubscribe/[redacted]?x=1"),
        ("/t/Y29weQ/o.gif", "/t/[redacted]"),
        ("/t/Y29weQ/c/bGluaw", "/t/[redacted]"),
        ("/v1/tasks?limit=5", "/v1/tasks?limit=5"),
        ("/?SignatureMethod=HmacSHA1&SecretId=AKID", "/?SignatureMethod=HmacSHA1&SecretId=AKID"),
    ],
)
def test_redacted_targets(target: str, logged: str) -> None:
    assert redacted_target(target) == logged


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    started = start_service(tmp_path_factory.mktemp("access-log"), None, "--api-only")
    yield started
    stop_service(started)


def test_the_access_log_holds_no_signature_secret_or_token(service: LiveService) -> None:
    secret_id, secret_key = service.create_key("acme", "alice")
    http = HttpProfile(protocol="http", endpoint=service.endpoint, reqMethod="GET", reqTimeout=10)
    client = CommonClient(
        "ses",
        "2020-10-02",
        credential.Credential(secret_id, secret_key),
        "ap-guangzhou",
        ClientProfile(signMethod="HmacSHA256", httpProfile=http),
    )
    client.call_json("ListSendTasks", {"Offset": 0, "Limit": 10})  # a legacy v1 GET: Signature in the query
    secrets = {"unsubscribe-token-0123456789", "rpc-signature-0123456789", "session-token-0123456789"}
    with httpx.Client(base_url=service.url, timeout=10) as web:
        web.get("/unsubscribe/unsubscribe-token-0123456789")
        web.post("/?AccessKeyId=LTAIkey&Signature=rpc-signature-0123456789&Action=GetMailTaskList")
        web.get("/v1/me", params={"session": "session-token-0123456789"}, auth=(secret_id, secret_key))
    log = _wait_for_access_lines(service.log_path, count=4)
    assert '"GET /unsubscribe/[redacted] HTTP/1.1"' in log
    assert "Signature=[redacted]" in log
    for secret in (*secrets, secret_key):
        assert secret not in log
    signature_values = [part for part in log.split("Signature=")[1:] if not part.startswith("[redacted]")]
    assert signature_values == []


def _wait_for_access_lines(path: Path, count: int) -> str:
    deadline = time.monotonic() + 10
    while True:
        text = path.read_text()
        if text.count(' HTTP/1.1"') >= count or time.monotonic() > deadline:
            return text
        time.sleep(0.05)
