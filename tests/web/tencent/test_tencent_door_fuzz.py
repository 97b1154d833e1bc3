"""Property: whatever arrives, a live door answers with a well-formed HTTP 200 envelope (1.7.5)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tencent_captured import tc3_authorization
from tencent_server import SECRET_ID, SECRET_KEY
from tests.web import fuzzing

from mailyard.web.guards.throttle import ActionThrottle

pytestmark = [fuzzing.timeout(60, 100), pytest.mark.fuzz]

FUZZ_SETTINGS = settings(
    max_examples=fuzzing.examples(100),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120)
TENCENT_HEADERS = [
    "Authorization",
    "X-TC-Action",
    "X-TC-Version",
    "X-TC-Timestamp",
    "X-TC-Region",
    "X-TC-Token",
    "X-TC-Content-SHA256",
    "Content-Type",
    "Host",
]
HEADER_NAME = st.one_of(st.sampled_from(TENCENT_HEADERS), st.from_regex(r"X-[A-Za-z0-9]{1,12}", fullmatch=True))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
FORM_PAIRS = st.lists(st.tuples(st.text(max_size=20), st.text(max_size=20)), max_size=8)
BODIES = st.one_of(
    st.binary(max_size=512),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    FORM_PAIRS.map(lambda pairs: urlencode(pairs).encode()),
)


@pytest.fixture
def door_http(start_door: Callable[..., int]) -> Iterator[httpx.Client]:
    port = start_door(throttle=ActionThrottle(per_second=10_000))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        yield http


def assert_envelope(response: httpx.Response, *, error: bool) -> dict[str, Any]:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    fuzzing.assert_no_internal_details(response.text)
    document = response.json()
    assert list(document) == ["Response"]
    body: dict[str, Any] = document["Response"]
    assert uuid.UUID(body["RequestId"]).version == 4
    if error or "Error" in body:
        assert set(body) == {"Error", "RequestId"}
        assert set(body["Error"]) == {"Code", "Message"}
        assert isinstance(body["Error"]["Code"], str) and body["Error"]["Code"]
        assert isinstance(body["Error"]["Message"], str)
        assert body["Error"]["Code"] != "InternalError", body  # a case the door does not handle
    return body


@FUZZ_SETTINGS
@given(
    method=st.sampled_from(["GET", "POST", "PUT"]),
    # h11 (the door_http) refuses values with outer whitespace, so they never reach a server anyway.
    headers=st.dictionaries(HEADER_NAME, PRINTABLE.map(str.strip), max_size=8),
    query=st.one_of(PRINTABLE, FORM_PAIRS.map(urlencode)),
    body=BODIES,
)
def test_random_requests_get_an_error_envelope(
    door_http: httpx.Client, method: str, headers: dict[str, str], query: str, body: bytes
) -> None:
    response = door_http.request(method, "/?" + query if query else "/", headers=headers, content=body)
    assert_envelope(response, error=True)


@FUZZ_SETTINGS
@given(body=BODIES, content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
def test_validly_signed_random_bodies_get_a_well_formed_envelope(
    door_http: httpx.Client, body: bytes, content_type: str
) -> None:
    timestamp = int(time.time())
    host = str(door_http.base_url.netloc.decode())
    headers = {
        "content-type": content_type,
        "host": host,
        "x-tc-action": "ListSendTasks",
        "x-tc-version": "2020-10-02",
        "x-tc-timestamp": str(timestamp),
    }
    headers["authorization"] = tc3_authorization(
        method="POST",
        headers=headers,
        signed=("content-type", "host"),
        raw_query="",
        body=body,
        timestamp=timestamp,
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
    )
    envelope = assert_envelope(door_http.post("/", headers=headers, content=body), error=False)
    if "Error" in envelope:
        # The signature is right, so only the parameters can be wrong.
        assert envelope["Error"]["Code"] == "InvalidParameter", envelope


# Legacy v1 credentials and TC3 headers with values at and past every edge the door parses.
EDGE_NUMBERS = st.sampled_from(fuzzing.EDGE_NUMBERS)
NOW = int(time.time())
CREDENTIAL_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "Action": st.sampled_from(["ListSendTasks", "Refuse", "Explode", "", "listsendtasks"]),
        "Version": st.sampled_from(["2020-10-02", "", "2017-03-12"]),
        "SecretId": st.sampled_from([SECRET_ID, "", "AKIDnobody", "a" * 200, "\x00"]),
        "Signature": st.sampled_from(["", "=", "a" * 28, "%%%"]) | PRINTABLE,
        "Timestamp": EDGE_NUMBERS
        | st.integers(min_value=int(time.time()) - 400, max_value=int(time.time()) + 400).map(str),
        "Nonce": EDGE_NUMBERS,
        "SignatureMethod": st.sampled_from(["HmacSHA1", "HmacSHA256", "HmacMD5", ""]),
        "Token": st.sampled_from(["", "token"]),
        "Offset": EDGE_NUMBERS,
        "Limit": EDGE_NUMBERS,
    },
)


@FUZZ_SETTINGS
@given(
    fields=CREDENTIAL_FIELDS,
    method=st.sampled_from(["GET", "POST"]),
    tc3=st.fixed_dictionaries({}, optional={"X-TC-Timestamp": EDGE_NUMBERS, "X-TC-Action": st.just("ListSendTasks")}),
)
def test_credentials_at_the_edges_get_an_error_envelope(
    door_http: httpx.Client, fields: dict[str, str], method: str, tc3: dict[str, str]
) -> None:
    encoded = urlencode(fields)
    headers = {key.encode(): value.strip().encode() for key, value in tc3.items()}  # UTF-8, as a client may send
    headers[b"content-type"] = b"application/x-www-form-urlencoded"
    if method == "GET":
        response = door_http.get("/?" + encoded, headers=headers)
    else:
        response = door_http.post("/", content=encoded.encode(), headers=headers)
    assert_envelope(response, error=True)
