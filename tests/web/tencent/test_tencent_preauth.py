"""The Tencent door before and around authentication: an unauthenticated request has nothing decoded, sizes
and field counts are bounded, a client address is limited, and a legacy v1 request works once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from tencent_server import SECRET_ID, SECRET_KEY

from mailyard.web.guards.clients import ClientGate
from mailyard.web.tencent import preauth, wire
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.wire import MAX_FIELDS, WireRequest

pytestmark = pytest.mark.timeout(60)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def v1_pairs(host: str, method: str, nonce: int, params: dict[str, str] | None = None, **common: str) -> str:
    """A legacy v1 request (1.7.4) signed with HmacSHA256, as the SDK builds it."""
    fields = {
        **(params or {}),
        "Action": "ListSendTasks",
        "Version": "2020-10-02",
        "Nonce": str(nonce),
        "Timestamp": str(int(time.time())),
        "SecretId": SECRET_ID,
        "SignatureMethod": "HmacSHA256",
        **common,
    }
    message = method + host + "/?" + "&".join(f"{key}={fields[key]}" for key in sorted(fields))
    mac = hmac.new(SECRET_KEY.encode(), message.encode(), hashlib.sha256).digest()
    return urlencode({**fields, "Signature": base64.b64encode(mac).decode()})


def error_code(response: httpx.Response) -> str | None:
    body: dict[str, Any] = response.json()["Response"]
    return body.get("Error", {}).get("Code")


def test_a_signed_v1_request_works_once(start_door: Callable[..., int]) -> None:
    port = start_door()
    host = f"127.0.0.1:{port}"
    query = v1_pairs(host, "GET", nonce=5789530314388348650)
    with httpx.Client(base_url=f"http://{host}", headers=FORM) as http:
        assert error_code(http.get("/?" + query)) is None
        assert error_code(http.get("/?" + query)) == "AuthFailure.SignatureFailure"
        body = v1_pairs(host, "POST", nonce=5789530314388348650)  # the same nonce in another request: a replay too
        assert error_code(http.post("/", content=body)) == "AuthFailure.SignatureFailure"
        assert error_code(http.get("/?" + v1_pairs(host, "GET", nonce=1))) is None


def test_an_unauthenticated_request_has_no_pair_decoded(
    start_door: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[int] = []
    real_parse = wire.parse_qsl

    def counting_parse(text: str, **options: Any) -> list[tuple[str, str]]:
        decoded.append(len(text))
        return real_parse(text, **options)

    monkeypatch.setattr(wire, "parse_qsl", counting_parse)
    port = start_door()
    host = f"127.0.0.1:{port}"
    padding = {f"Emails.{index}": f"user{index}@example.com" for index in range(20_000)}
    unknown = v1_pairs(host, "POST", nonce=7, params=padding, SecretId="AKIDnobodyHasThisKey000000000000")
    expired = v1_pairs(host, "POST", nonce=8, params=padding, Timestamp="1000")
    with httpx.Client(base_url=f"http://{host}", headers=FORM, timeout=30) as http:
        assert error_code(http.post("/", content=unknown)) == "AuthFailure.SecretIdNotFound"
        assert error_code(http.post("/", content=expired)) == "AuthFailure.SignatureExpire"
        assert decoded == []
        assert error_code(http.post("/", content=v1_pairs(host, "POST", nonce=9, params=padding))) is None
        assert decoded  # a signed request is decoded, once authenticated


def test_too_many_fields_are_refused_before_decoding(start_door: Callable[..., int]) -> None:
    port = start_door()
    body = "&".join(f"a{index}=" for index in range(MAX_FIELDS + 1))
    response = httpx.post(f"http://127.0.0.1:{port}/", content=body, headers=FORM, timeout=30)
    assert error_code(response) == "InvalidParameter"
    assert str(MAX_FIELDS) in response.json()["Response"]["Error"]["Message"]


@pytest.mark.parametrize(
    ("query", "content_type", "body", "refused"),
    [
        ("a=" + "x" * (32 * 1024), "application/json", b"", True),
        ("a=" + "x" * (32 * 1024 - 3), "application/json", b"", False),
        ("", "application/x-www-form-urlencoded", b"x" * (1024 * 1024 + 1), True),
        ("", "application/x-www-form-urlencoded", b"x" * (1024 * 1024), False),
        ("", "application/json", b"x" * (4 * 1024 * 1024), False),  # a TC3 JSON body may use the door's cap
    ],
)
def test_form_pairs_are_bounded_as_the_real_service_bounds_them(
    query: str, content_type: str, body: bytes, refused: bool
) -> None:
    request = WireRequest("POST", "/", query, {"content-type": content_type}, body)
    if refused:
        with pytest.raises(TencentError) as raised:
            preauth.check_sizes(request)
        assert raised.value.code == "RequestSizeLimitExceeded"
    else:
        preauth.check_sizes(request)


def test_one_client_address_is_limited_before_anything_else(start_door: Callable[..., int]) -> None:
    port = start_door(client_gate=ClientGate(per_second=3))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=FORM) as http:
        codes = [error_code(http.post("/", content="")) for _ in range(3)]
        assert "RequestLimitExceeded.IPLimitExceeded" not in codes
        host = f"127.0.0.1:{port}"
        signed = http.get("/?" + v1_pairs(host, "GET", nonce=11))
        assert error_code(signed) == "RequestLimitExceeded.IPLimitExceeded"
