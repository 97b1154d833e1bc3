"""Signature checks against the SDK's captured requests (spec 3.2, 3.4) and tampered copies."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tencent_captured import (
    CAPTURE_TIME,
    CAPTURED,
    EDGE_CAPTURE_TIME,
    SECRET_ID,
    SECRET_KEY,
    replace_header,
    tc3_authorization,
    wire_from_raw,
)

from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.signature import SignatureError, parse_credential, verify
from mailyard.web.tencent.wire import WireRequest

pytestmark = pytest.mark.timeout(30)

TC3_CAPTURES = ["0", "1", "2", "3", "4", "5"]
V1_CAPTURES = ["6", "7"]


def check(wire: WireRequest, now: float = CAPTURE_TIME, secret_key: str = SECRET_KEY) -> None:
    verify(wire, parse_credential(wire), secret_key, now=now)


def code_of(wire: WireRequest, now: float = CAPTURE_TIME, secret_key: str = SECRET_KEY) -> str:
    with pytest.raises(SignatureError) as caught:
        check(wire, now, secret_key)
    return caught.value.code


@pytest.mark.parametrize("name", TC3_CAPTURES + V1_CAPTURES)
def test_every_captured_request_verifies(name: str) -> None:
    check(wire_from_raw(CAPTURED[name]))


def test_credential_fields_tc3() -> None:
    credential = parse_credential(wire_from_raw(CAPTURED["0"]))
    assert credential.secret_id == SECRET_ID
    assert credential.algorithm == "TC3-HMAC-SHA256"
    assert credential.timestamp == CAPTURE_TIME
    assert credential.nonce is None
    assert (credential.scope_date, credential.scope_service) == ("2026-11-22", "ses")
    assert credential.signed_headers == ("content-type", "host")


@pytest.mark.parametrize(
    ("name", "algorithm", "nonce"),
    [("6", "HmacSHA256", 5789530314388348650), ("7", "HmacSHA1", 2053689908834840052)],
)
def test_credential_fields_v1(name: str, algorithm: str, nonce: int) -> None:
    credential = parse_credential(wire_from_raw(CAPTURED[name]))
    assert (credential.secret_id, credential.algorithm, credential.nonce) == (SECRET_ID, algorithm, nonce)
    assert credential.timestamp == CAPTURE_TIME


def test_identical_retries_share_a_signature_and_both_verify() -> None:
    # 1.7.2: TC3 has no nonce; a repeated signature is not a replay attack.
    first, second = wire_from_raw(CAPTURED["2"]), wire_from_raw(CAPTURED["3"])
    assert parse_credential(first).signature == parse_credential(second).signature
    check(first)
    check(second)


def test_session_token_is_refused_after_a_valid_signature() -> None:
    assert code_of(wire_from_raw(CAPTURED["edge10"]), now=EDGE_CAPTURE_TIME) == "AuthFailure.TokenFailure"


@pytest.mark.parametrize("name", TC3_CAPTURES + V1_CAPTURES)
def test_wrong_secret_key_fails(name: str) -> None:
    assert code_of(wire_from_raw(CAPTURED[name]), secret_key=SECRET_KEY + "x") == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("name", ["0", "1", "6"])
def test_tampered_body_fails(name: str) -> None:
    wire = wire_from_raw(CAPTURED[name])
    tampered = dataclasses.replace(wire, body=wire.body.replace(b"0", b"1", 1))
    assert code_of(tampered) == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("name", TC3_CAPTURES + V1_CAPTURES)
def test_tampered_host_fails(name: str) -> None:
    wire = replace_header(wire_from_raw(CAPTURED[name]), "host", "127.0.0.1:18766")
    assert code_of(wire) == "AuthFailure.SignatureFailure"


def test_get_query_is_hashed_raw_not_re_encoded() -> None:
    # "b+c" and "b%20c" decode alike, but only the bytes the SDK sent are signed (1.7.3).
    wire = wire_from_raw(CAPTURED["5"])
    assert "b+c" in wire.raw_query
    assert code_of(dataclasses.replace(wire, raw_query=wire.raw_query.replace("b+c", "b%20c"))) == (
        "AuthFailure.SignatureFailure"
    )


def test_tampered_v1_parameter_fails() -> None:
    wire = wire_from_raw(CAPTURED["7"])
    assert code_of(dataclasses.replace(wire, raw_query=wire.raw_query.replace("TaskType=1", "TaskType=2"))) == (
        "AuthFailure.SignatureFailure"
    )


def test_unsigned_headers_may_change() -> None:
    # Only content-type and host are signed (1.7.1); the action header is not covered.
    check(replace_header(wire_from_raw(CAPTURED["0"]), "x-tc-action", "SendEmail"))


def test_uppercase_hex_signature_fails() -> None:
    wire = wire_from_raw(CAPTURED["0"])
    header = wire.header("authorization") or ""
    prefix, _, signature = header.rpartition("Signature=")
    assert code_of(replace_header(wire, "authorization", prefix + "Signature=" + signature.upper())) == (
        "AuthFailure.SignatureFailure"
    )


@pytest.mark.parametrize("name", ["0", "4", "6", "7"])
@pytest.mark.parametrize("skew", [301, -301, 10_000])
def test_stale_or_future_timestamp_expires(name: str, skew: int) -> None:
    assert code_of(wire_from_raw(CAPTURED[name]), now=CAPTURE_TIME + skew) == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize("skew", [300, -300, 0.5])
def test_window_edges_are_accepted(skew: float) -> None:
    check(wire_from_raw(CAPTURED["0"]), now=CAPTURE_TIME + skew)


def _signed_post(
    *,
    signed: tuple[str, ...] = ("content-type", "host"),
    lower_values: bool = False,
    timestamp: int = CAPTURE_TIME,
) -> WireRequest:
    headers = {
        "content-type": "Application/JSON",
        "host": "Mail.Example:8080",
        "x-tc-action": "ListSendTasks",
        "x-tc-timestamp": str(timestamp),
    }
    body = b'{"Limit": 1}'
    headers["authorization"] = tc3_authorization(
        method="POST",
        headers=headers,
        signed=signed,
        raw_query="",
        body=body,
        timestamp=timestamp,
        lower_values=lower_values,
    )
    return WireRequest("POST", "/", "", headers, body)


@pytest.mark.parametrize("lower_values", [False, True])
def test_extra_signed_headers_and_documented_lower_casing(lower_values: bool) -> None:
    check(_signed_post(signed=("content-type", "host", "x-tc-action"), lower_values=lower_values))


def test_extra_signed_header_is_then_covered() -> None:
    wire = _signed_post(signed=("content-type", "host", "x-tc-action"))
    assert code_of(replace_header(wire, "x-tc-action", "SendEmail")) == "AuthFailure.SignatureFailure"


def test_unsigned_payload_covers_headers_but_not_body() -> None:
    headers = {
        "content-type": "application/json",
        "host": "h",
        "x-tc-action": "A",
        "x-tc-timestamp": str(CAPTURE_TIME),
        "x-tc-content-sha256": "UNSIGNED-PAYLOAD",
    }
    headers["authorization"] = tc3_authorization(
        method="POST",
        headers=headers,
        signed=("content-type", "host"),
        raw_query="",
        body=b"{}",
        timestamp=CAPTURE_TIME,
    )
    check(WireRequest("POST", "/", "", headers, b'{"Other": 1}'))


def test_scope_date_must_be_the_timestamp_date() -> None:
    wire = _signed_post()
    next_day = replace_header(wire, "x-tc-timestamp", str(CAPTURE_TIME + 86_400))
    assert code_of(next_day, now=CAPTURE_TIME + 86_400) == "AuthFailure.SignatureFailure"


def test_scope_service_must_be_ses() -> None:
    wire = wire_from_raw(CAPTURED["0"])
    header = (wire.header("authorization") or "").replace("/ses/", "/cvm/")
    assert code_of(replace_header(wire, "authorization", header)) == "AuthFailure.SignatureFailure"


def _signed_like_node(host: str, service: str, signed_host: str) -> WireRequest:
    headers = {"content-type": "application/json", "host": host, "x-tc-timestamp": str(CAPTURE_TIME)}
    headers["authorization"] = tc3_authorization(
        method="POST",
        headers=headers,
        signed=("content-type", "host"),
        raw_query="",
        body=b"{}",
        timestamp=CAPTURE_TIME,
        service=service,
        signed_host=signed_host,
    )
    return WireRequest("POST", "/", "", headers, b"{}")


@pytest.mark.parametrize(
    ("host", "service", "signed_host"),
    [
        ("mailyard.example.com:8443", "mailyard", "mailyard.example.com"),
        ("127.0.0.1:8080", "127", "127.0.0.1"),
        ("localhost:8080", "localhost:8080", "localhost"),
        ("[::1]:8080", "[::1]:8080", "[::1]"),
        ("ses.example.com", "ses", "ses.example.com"),
    ],
)
def test_the_endpoint_label_and_a_portless_host_are_accepted(host: str, service: str, signed_host: str) -> None:
    check(_signed_like_node(host, service, signed_host))


@pytest.mark.parametrize(
    ("host", "service", "signed_host"),
    [
        ("mailyard.example.com:8443", "example", "mailyard.example.com"),  # not the first label
        ("mailyard.example.com:8443", "mailyard", "other.example.com"),  # another host
        ("mailyard.example.com", "mailyard", "mailyard.example.com:8443"),  # a port that was not sent
    ],
)
def test_other_scopes_and_hosts_are_refused(host: str, service: str, signed_host: str) -> None:
    assert code_of(_signed_like_node(host, service, signed_host)) == "AuthFailure.SignatureFailure"


GOOD_AUTH = wire_from_raw(CAPTURED["0"]).header("authorization") or ""


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Basic dXNlcjpwYXNz",
        GOOD_AUTH.replace("TC3-HMAC-SHA256", "TC3-HMAC-SHA1"),
        GOOD_AUTH.replace("Credential=", "Credentials="),
        GOOD_AUTH.replace("/tc3_request", "/tc4_request"),
        GOOD_AUTH.replace("/2026-11-22/", "/22-11-2026/"),
        GOOD_AUTH.replace("SignedHeaders=content-type;host", "SignedHeaders=host"),
        GOOD_AUTH.replace("SignedHeaders=content-type;host", "SignedHeaders=content-type;host;x-missing"),
        GOOD_AUTH.rpartition(", Signature=")[0],
        GOOD_AUTH + ", Signature=00",
        GOOD_AUTH.replace("Signature=", "Signature="[:-1]),
    ],
)
def test_malformed_authorization(authorization: str | None) -> None:
    wire = replace_header(wire_from_raw(CAPTURED["0"]), "authorization", authorization)
    assert code_of(wire) == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize("timestamp", [None, "", "abc", "-5", "1.5", "9" * 40])
def test_malformed_tc3_timestamp(timestamp: str | None) -> None:
    wire = replace_header(wire_from_raw(CAPTURED["0"]), "x-tc-timestamp", timestamp)
    assert code_of(wire) == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("&Nonce=2053689908834840052", ""),
        ("&SignatureMethod=HmacSHA1", ""),
        ("&Signature=gWN2x1Rbq789mA6aP%2BLIpu3yEZ8%3D", ""),
        ("&Timestamp=1795369742", "&Timestamp=soon"),
        ("SignatureMethod=HmacSHA1", "SignatureMethod=HmacMD5"),
        ("&Nonce=2053689908834840052", "&Nonce=1&Nonce=2"),
    ],
)
def test_malformed_v1_fields(old: str, new: str) -> None:
    wire = wire_from_raw(CAPTURED["7"])
    assert old in wire.raw_query
    assert code_of(dataclasses.replace(wire, raw_query=wire.raw_query.replace(old, new))) == (
        "AuthFailure.InvalidAuthorization"
    )


@pytest.mark.parametrize("secret_id", ["has space", "x" * 129, "ключ"])
def test_malformed_secret_id(secret_id: str) -> None:
    wire = wire_from_raw(CAPTURED["0"])
    header = (wire.header("authorization") or "").replace(SECRET_ID, secret_id)
    with pytest.raises(SignatureError) as caught:
        parse_credential(replace_header(wire, "authorization", header))
    assert caught.value.code == "AuthFailure.InvalidSecretId"


HEADER_NAMES = st.sampled_from(["authorization", "x-tc-action", "x-tc-timestamp", "content-type", "host", "x-tc-token"])


@settings(max_examples=200, deadline=None, database=None)
@given(
    method=st.sampled_from(["GET", "POST"]),
    headers=st.dictionaries(HEADER_NAMES, st.text(max_size=200), max_size=6),
    query=st.text(max_size=200),
    body=st.binary(max_size=200),
    now=st.floats(min_value=0, max_value=2**40),
)
def test_arbitrary_input_only_ever_raises_signature_errors(
    method: str, headers: dict[str, str], query: str, body: bytes, now: float
) -> None:
    wire = WireRequest(method, "/", query, headers, body)
    try:
        check(wire, now=now)
    except TencentError as error:
        # v1 pairs that are not even URL encoding are a parameter error, found before this in the door.
        assert error.code.startswith("AuthFailure.") or error.code == "InvalidParameter"
