"""Signature checks against the requests captured from the official SDK (spec 3.2) and tampered variants."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailyard.web.aliyun.signature import (
    ACS3_HMAC_SHA256,
    RPC_HMAC_SHA1,
    SignatureError,
    parse_timestamp,
    percent_encode,
    read_credential,
    verify,
)

SECRET = "FAKEaccessKeySecretABCDEFGHIJ01"
ACS3_CAPTURES = [8, 9, 10, 11]


def refused(raw, secret=SECRET, now=None) -> SignatureError:
    with pytest.raises(SignatureError) as caught:
        credential = read_credential(raw.wire())
        verify(credential, secret, raw.timestamp if now is None else now)
    return caught.value


@pytest.mark.parametrize("number", ACS3_CAPTURES)
def test_captured_acs3_requests_verify(captured, number):
    raw = captured[number]
    credential = read_credential(raw.wire())
    assert credential.access_key_id == "LTAI5tFAKEaccessKeyId01"
    assert credential.algorithm == ACS3_HMAC_SHA256
    assert credential.nonce == raw.header("x-acs-signature-nonce")
    verify(credential, SECRET, now=raw.timestamp)


def test_captured_v2_request_verifies(captured):
    raw = captured[12]
    credential = read_credential(raw.wire())
    assert (credential.algorithm, credential.nonce) == (RPC_HMAC_SHA1, "880356e1f7d4adfa7373fb119ad8691b")
    assert credential.timestamp == parse_timestamp("2026-11-22T17:49:10Z") == 1795369750
    verify(credential, SECRET, now=credential.timestamp)


def test_canonical_query_is_rebuilt_from_decoded_values(captured):
    # 'alice+smith', 'alice%20smith' and 'alice smith' are one value; the signer hashed 'alice%20smith' (5.3).
    assert percent_encode("alice smith*~é") == "alice%20smith%2A~%C3%A9"
    raw = captured[8]
    respelled = raw.with_query("UserNick=alice%20smith&Paused=True&PageSize=10&PageNum=%31")
    verify(read_credential(respelled.wire()), SECRET, now=raw.timestamp)


@pytest.mark.parametrize(
    "query",
    [
        "PageNum=1&PageSize=10&Paused=True&UserNick=alice*smith",
        "PageNum=1&PageSize=10&Paused=True&UserNick=alice%2Bsmith",
        "PageNum=1&PageSize=10&Paused=True&UserNick=alicesmith",
        "PageNum=1&PageSize=10&Paused=False&UserNick=alice+smith",
        "PageNum=1&PageSize=10&Paused=True&UserNick=alice+smith&MailId=1",
        "PageNum=1&PageSize=10&Paused=True",
    ],
)
def test_tampered_acs3_query_is_refused(captured, query):
    error = refused(captured[8].with_query(query))
    assert (error.code, error.http_status) == ("SignatureDoesNotMatch", 400)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("x-acs-action", "ManualRunMailTask"),
        ("host", "127.0.0.1:18766"),
        ("user-agent", "curl/8"),
        ("x-acs-signature-nonce", "00000000000000000000000000000000"),
    ],
)
def test_tampered_signed_header_is_refused(captured, header, value):
    assert refused(captured[8].with_header(header, value)).code == "SignatureDoesNotMatch"


def test_unsigned_headers_may_change(captured):
    raw = captured[8].with_header("accept-encoding", "gzip").with_header("x-trace", "anything")
    verify(read_credential(raw.wire()), SECRET, now=raw.timestamp)


def test_header_values_are_trimmed(captured):
    raw = captured[8]
    padded = raw.with_header("accept", "  application/json ")
    verify(read_credential(padded.wire()), SECRET, now=raw.timestamp)


def test_wrong_secret_is_refused(captured):
    assert refused(captured[8], secret=SECRET + "x").code == "SignatureDoesNotMatch"
    assert refused(captured[12], secret=SECRET + "x").code == "SignatureDoesNotMatch"


@pytest.mark.parametrize("number", [8, 12])
@pytest.mark.parametrize("skew", [-15 * 60 - 1, 15 * 60 + 1, -86400, 86400])
def test_timestamp_outside_window_is_refused(captured, number, skew):
    raw = captured[number]
    error = refused(raw, now=raw.timestamp + skew)
    assert (error.code, error.http_status) == ("InvalidTimeStamp.Expired", 400)


@pytest.mark.parametrize("skew", [-15 * 60, 0, 15 * 60])
def test_timestamp_inside_window_is_accepted(captured, skew):
    raw = captured[8]
    verify(read_credential(raw.wire()), SECRET, now=raw.timestamp + skew)


def test_body_must_match_its_hash(captured):
    raw = captured[8]
    tampered = type(raw)(raw.method, raw.target, raw.headers, b"PageNum=9")
    assert refused(tampered).code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    "authorization",
    [
        "ACS3-HMAC-SM3 Credential=LTAI5tFAKEaccessKeyId01,SignedHeaders=host,Signature=" + "0" * 64,
        "ACS3-HMAC-SHA256",
        "ACS3-HMAC-SHA256 Credential=LTAI5tFAKEaccessKeyId01",
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=" + "0" * 64,
        "ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=" + "0" * 64,
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;HOST,Signature=" + "0" * 64,
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=" + "A" * 64,
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=abc",
        # Signs too little: without x-acs-date a captured request could be replayed forever.
        "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;x-acs-action;x-acs-version;x-acs-content-sha256;"
        "x-acs-signature-nonce,Signature=" + "0" * 64,
        "Bearer abc",
        "",
    ],
)
def test_malformed_authorization_is_incomplete(captured, authorization):
    error = refused(captured[8].with_header("authorization", authorization))
    assert (error.code, error.http_status) == ("IncompleteSignature", 400)


def test_signed_header_absent_from_request_is_incomplete(captured):
    assert refused(captured[8].with_header("user-agent", None)).code == "IncompleteSignature"


@pytest.mark.parametrize(
    "date", ["2026-11-22 17:49:09", "1795369749", "2026-11-22T17:49:09+08:00", "2026-02-30T00:00:00Z"]
)
def test_malformed_date_is_refused(harness, date):
    raw = harness.sign_v3({}, at=0, extra_headers={"x-acs-date": date})
    assert refused(raw, now=0).code == "InvalidTimeStamp.Format"


@pytest.mark.parametrize("name", ["Signature", "AccessKeyId", "Timestamp", "SignatureNonce", "SignatureMethod"])
def test_v2_missing_common_parameter(captured, name):
    raw = captured[12]
    query = "&".join(pair for pair in raw.query.split("&") if not pair.startswith(name + "="))
    error = refused(raw.with_query(query))
    assert (error.code, error.http_status) == ("MissingParameter", 400)


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("PageNum=2", "PageNum=3", "SignatureDoesNotMatch"),
        ("Paused=False", "Paused=True", "SignatureDoesNotMatch"),
        ("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256", "IncompleteSignature"),
        ("SignatureVersion=1.0", "SignatureVersion=2.0", "IncompleteSignature"),
        ("PageNum=2", "PageNum=2&PageNum=2", "IncompleteSignature"),
    ],
)
def test_tampered_v2_request_is_refused(captured, old, new, code):
    raw = captured[12]
    assert refused(raw.with_query(raw.query.replace(old, new))).code == code


def test_credential_repr_hides_the_signature(captured):
    text = repr(read_credential(captured[8].wire()))
    assert "2418fd7b" not in text and "LTAI5tFAKEaccessKeyId01" in text


# Values the SDK may send: spaces, '*', '~', '+', '&', '=', '%', non-ASCII (spec 5.3).
values = st.text(alphabet=st.sampled_from(string.ascii_letters + " *~+&=%/.-_é中"), max_size=12)
names = st.sampled_from(["UserNick", "MailId", "PageNum", "Paused", "Tags.1.Key", "Tags.2.Key"])


@settings(max_examples=60, deadline=None)
@given(params=st.dictionaries(names, values, max_size=4))
def test_any_sdk_signed_v3_request_verifies(harness, params):
    raw = harness.sign_v3(params, at=1795369749)
    verify(read_credential(raw.wire()), SECRET, now=1795369749)


@settings(max_examples=60, deadline=None)
@given(params=st.dictionaries(names, values, max_size=4))
def test_any_sdk_signed_v2_request_verifies(harness, params):
    raw = harness.sign_v2(params, at=1795369749)
    verify(read_credential(raw.wire()), SECRET, now=1795369749)
