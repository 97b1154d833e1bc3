"""The door in process: exact bytes in through ASGI, envelopes out; check order; a fuzz test."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from starlette.requests import Request
from tests.web import fuzzing

from mailyard.web.aliyun.door import AliyunFrontDoor
from mailyard.web.aliyun.errors import AliyunError
from mailyard.web.guards.nonces import NonceGuardUnavailable, RedisNonceGuard

pytestmark = pytest.mark.timeout(30)
CAPTURE_TIME = 1795369749.0  # 2026-11-22T17:49:09Z, when the spec's requests were signed
ERROR_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


async def call_asgi(
    app: Any, method: str, target: bytes, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> Answer:
    """Drive an ASGI app with exactly these bytes, as a server would after parsing HTTP."""
    path, _, query = target.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path.decode("latin-1"),
        "raw_path": path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "server": ("127.0.0.1", 18765),
        "client": ("127.0.0.1", 40000),
    }
    incoming = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    incoming.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start, body = sent[0], b"".join(message.get("body", b"") for message in sent[1:])
    headers_out = {key.decode(): value.decode() for key, value in start["headers"]}
    return Answer(start["status"], headers_out, json.loads(body))


async def send_raw(app: Any, raw: Any, chunks: list[bytes] | None = None) -> Answer:
    headers = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in raw.headers]
    return await call_asgi(app, raw.method, raw.target.encode(), headers, [raw.body] if chunks is None else chunks)


def assert_error(answer: Answer, code: str, status: int) -> None:
    assert (answer.status, answer.body["Code"]) == (status, code), answer.body
    assert set(answer.body) == ERROR_KEYS


@pytest.fixture
def door_kit(harness):
    """A door with the fake actions, its clock pinned at the capture time, and an app around it."""
    clock, actions = harness.SettableClock(), harness.FakeActions()
    clock.pinned = CAPTURE_TIME

    def build(extra_actions=None, **options):
        door = harness.make_door({**actions.table(), **(extra_actions or {})}, clock, **options)
        return harness.make_app(door)

    return clock, actions, build


async def test_captured_request_is_served_once(captured, door_kit, harness):
    _, actions, build = door_kit
    app = build()
    answer = await send_raw(app, captured[8])
    assert answer.status == 200
    assert answer.body == {"RequestId": answer.body["RequestId"], "Success": True, "Result": harness.result}
    assert answer.headers["x-acs-request-id"] == answer.body["RequestId"]
    assert actions.calls == [
        (harness.principal, {"PageNum": "1", "PageSize": "10", "Paused": "True", "UserNick": "alice smith"})
    ]
    assert_error(await send_raw(app, captured[8]), "SignatureNonceUsed", 400)


async def test_captured_v2_request_is_served(captured, door_kit):
    _, actions, build = door_kit
    assert (await send_raw(build(), captured[12])).status == 200
    assert actions.calls[0][1] == {"PageNum": "2", "PageSize": "5", "Paused": "False"}


async def test_handler_error_becomes_its_envelope(captured, door_kit):
    answer = await send_raw(door_kit[2](), captured[11])
    assert_error(answer, "Mail.Not.Found", 400)
    assert answer.body["Message"] == "The Subscription Task Does Not Exist."
    assert answer.body["HostId"] == "127.0.0.1:18765"


async def test_unknown_action_is_not_found_only_after_authentication(captured, door_kit):
    app = door_kit[2]()
    forged = captured[9].with_header("x-acs-signature-nonce", "forged")
    assert_error(await send_raw(app, forged), "SignatureDoesNotMatch", 400)
    assert_error(await send_raw(app, captured[9]), "InvalidAction.NotFound", 404)


async def test_version_is_checked_first(captured, door_kit):
    wrong = captured[8].with_header("x-acs-version", "2020-10-02").with_header("authorization", "junk")
    assert_error(await send_raw(door_kit[2](), wrong), "InvalidVersion", 400)


async def test_unknown_access_key(door_kit, harness):
    raw = harness.sign_v3({}, at=CAPTURE_TIME - 86400, access_key_id="LTAIunknown")
    # Looked up before the time window is checked, in the order Alibaba's gateway checks them.
    assert_error(await send_raw(door_kit[2](), raw), "InvalidAccessKeyId.NotFound", 404)


async def test_expired_request(captured, door_kit):
    clock, _, build = door_kit
    clock.pinned = CAPTURE_TIME + 15 * 60 + 2
    assert_error(await send_raw(build(), captured[8]), "InvalidTimeStamp.Expired", 400)


async def test_nonce_is_per_access_key(door_kit, harness):
    app = door_kit[2]()
    first = harness.sign_v3({}, at=CAPTURE_TIME, nonce="same")
    second = harness.sign_v3({}, at=CAPTURE_TIME, nonce="same", access_key_id="LTAIsecondKey", secret="secondSecret")
    assert (await send_raw(app, first)).status == 200
    assert (await send_raw(app, second)).status == 200


async def test_unexpected_exception_is_a_bare_internal_error(door_kit, harness, caplog):
    async def explode(principal, params):
        raise RuntimeError("database password is hunter2")

    raw = harness.sign_v3({}, at=CAPTURE_TIME, action="Explode")
    with caplog.at_level(logging.ERROR, logger="mailyard.web.aliyun.door"):
        answer = await send_raw(door_kit[2]({"Explode": explode}), raw)
    assert_error(answer, "InternalError", 500)
    assert "hunter2" not in json.dumps(answer.body) and "Traceback" not in json.dumps(answer.body)
    assert "hunter2" in caplog.text


async def test_unserialisable_result_is_an_internal_error(door_kit, harness):
    async def odd(principal, params):
        return {"When": object()}

    raw = harness.sign_v3({}, at=CAPTURE_TIME, action="Odd")
    assert_error(await send_raw(door_kit[2]({"Odd": odd}), raw), "InternalError", 500)


async def test_throttling_error_sets_retry_after(door_kit, harness):
    async def busy(principal, params):
        raise AliyunError("Throttling.User", "Request was denied due to user flow control.", retry_after_ms=1500)

    raw = harness.sign_v3({}, at=CAPTURE_TIME, action="Busy")
    answer = await send_raw(door_kit[2]({"Busy": busy}), raw)
    assert_error(answer, "Throttling.User", 400)
    assert answer.headers["x-acs-retry-after"] == "1500"


async def test_form_body_is_signed_and_read(door_kit, harness):
    async def echo(principal, params):
        return params

    body = b"UserNick=bob+smith&Tags.1=a&Tags.2=b"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    raw = harness.sign_v3({"MailId": "7"}, at=CAPTURE_TIME, action="Echo", body=body, extra_headers=headers)
    answer = await send_raw(door_kit[2]({"Echo": echo}), raw)
    assert answer.body["Result"] == {"MailId": "7", "UserNick": "bob smith", "Tags": ["a", "b"]}


@pytest.mark.parametrize("declared", [True, False])
async def test_body_over_the_limit_is_refused(door_kit, harness, declared):
    raw = harness.sign_v3({}, at=CAPTURE_TIME, body=b"x" * 100)
    raw = raw.with_header("content-length", None) if not declared else raw.with_header("content-length", "100")
    answer = await send_raw(door_kit[2](max_body_bytes=64), raw, chunks=[b"x" * 50, b"x" * 50])
    assert_error(answer, "RequestEntityTooLarge", 413)


async def test_unavailable_nonce_guard_refuses_with_503(captured, door_kit, harness):
    class DownGuard:
        async def claim(self, key: str, nonce: str, *, now: float, ttl: float) -> bool:
            raise NonceGuardUnavailable("down")

    clock, actions, _ = door_kit
    app = harness.make_app(harness.make_door(actions.table(), clock, nonce_guard=DownGuard()))
    assert_error(await send_raw(app, captured[8]), "ServiceUnavailable", 503)
    assert actions.calls == []


async def test_nonce_ttl_lasts_until_the_request_expires(captured, door_kit, harness):
    seen: list[float] = []

    class RecordingGuard:
        async def claim(self, key: str, nonce: str, *, now: float, ttl: float) -> bool:
            seen.append(ttl)
            return True

    clock, actions, _ = door_kit
    clock.pinned = CAPTURE_TIME + 100
    app = harness.make_app(harness.make_door(actions.table(), clock, nonce_guard=RecordingGuard()))
    await send_raw(app, captured[8])
    assert seen == [15 * 60 - 100 + 1]


async def test_doors_sharing_redis_refuse_each_others_nonces(captured, door_kit, harness, redis_url):
    clock, actions, _ = door_kit
    prefix = f"mailyard-test:{uuid.uuid4().hex}:"
    clients = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    try:
        first, second = (
            harness.make_app(harness.make_door(actions.table(), clock, nonce_guard=RedisNonceGuard(client, prefix)))
            for client in clients
        )
        assert (await send_raw(first, captured[8])).status == 200
        assert_error(await send_raw(second, captured[8]), "SignatureNonceUsed", 400)
    finally:
        await clients[0].delete(*[key async for key in clients[0].scan_iter(match=prefix + "*")])
        for client in clients:
            await client.aclose()


def request_with(query: bytes, headers: list[tuple[bytes, bytes]]) -> Request:
    return Request({"type": "http", "method": "POST", "path": "/", "query_string": query, "headers": headers})


@pytest.mark.parametrize(
    ("query", "headers", "claimed"),
    [
        (b"", [(b"x-acs-action", b"GetMailTaskList")], True),
        (b"AccessKeyId=a&Signature=b&Action=X", [], True),
        (b"AccessKeyId=a", [], False),
        (b"Action=ListSendTasks", [(b"x-tc-action", b"ListSendTasks")], False),
        (b"", [(b"authorization", b"TC3-HMAC-SHA256 Credential=x")], False),
    ],
)
def test_claims(query, headers, claimed):
    assert AliyunFrontDoor.claims(request_with(query, headers)) is claimed


# ---- fuzz: nothing but a well-formed error envelope, never a 200 ----

_HEADER_NAMES = [
    b"authorization",
    b"x-acs-action",
    b"x-acs-version",
    b"x-acs-date",
    b"x-acs-signature-nonce",
    b"x-acs-content-sha256",
    b"content-type",
    b"content-length",
    b"host",
    b"x-other",
]
_TEXT = st.sampled_from(
    [
        b"GetMailTaskList",
        b"2022-01-01",
        b"2026-11-22T17:49:09Z",
        b"2020-01-01T00:00:00Z",
        b"application/x-www-form-urlencoded",
        b"",
        b"1",
    ]
)
_HEADER_VALUES = st.one_of(
    _TEXT, st.binary(max_size=40).filter(lambda value: b"\r" not in value and b"\n" not in value)
)
_AUTHORIZATION = st.builds(
    lambda credential, names, signature: (
        b"ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (credential, names, signature)
    ),
    st.sampled_from([b"LTAI5tFAKEaccessKeyId01", b"", b"x"]),
    st.sampled_from([b"host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version", b"a;"]),
    st.sampled_from([b"0" * 64, b"2418fd7bb5ef487524e3d0a840f5c8461ca75dbe2bb389d1435f68b5a14f829a", b""]),
)
_QUERY_PART = st.sampled_from(
    [
        b"Action=GetMailTaskList",
        b"Version=2022-01-01",
        b"AccessKeyId=LTAI5tFAKEaccessKeyId01",
        b"Signature=x",
        b"Timestamp=2026-11-22T17%3A49%3A09Z",
        b"SignatureNonce=n",
        b"SignatureMethod=HMAC-SHA1",
        b"Key.1=a",
        b"Key.3=b",
        b"Key=c",
        b"%FF=1",
        b"a=%E4",
        b"UserNick=alice+smith",
        b"=",
        b"&&",
        b"%",
    ]
)
_QUERY = st.one_of(st.lists(_QUERY_PART, max_size=6).map(b"&".join), st.binary(max_size=30))


@pytest.fixture(scope="module")
def fuzz_app(request):
    harness = request.getfixturevalue("harness")
    captured = request.getfixturevalue("captured")
    clock = harness.SettableClock()
    clock.pinned = CAPTURE_TIME
    app = harness.make_app(harness.make_door(harness.FakeActions().table(), clock))
    for raw in captured.values():  # spend the captured nonces: only a fresh valid signature could pass
        asyncio.run(send_raw(app, raw))
    return app, captured


@fuzzing.timeout(30, 300)
@pytest.mark.fuzz
@settings(max_examples=fuzzing.examples(300), deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    query=_QUERY,
    headers=st.lists(st.tuples(st.sampled_from(_HEADER_NAMES), _HEADER_VALUES), max_size=4),
    authorization=st.one_of(st.none(), _AUTHORIZATION),
    base=st.one_of(st.none(), st.sampled_from([8, 9, 11, 12])),
    body=st.sampled_from([b"", b"MailId=1", b"\xff\xfe"]),
)
def test_random_requests_only_get_error_envelopes(fuzz_app, query, headers, authorization, base, body):
    app, captured = fuzz_app
    if authorization is not None:
        headers.append((b"authorization", authorization))
    if base is not None:  # start from a real signed request, then override pieces of it
        raw = captured[base]
        overridden = {name for name, _ in headers}
        kept = [(key.lower().encode(), value.encode()) for key, value in raw.headers]
        headers = [(name, value) for name, value in kept if name not in overridden] + headers
        query = raw.query.encode() + b"&" + query if query else raw.query.encode()
    answer = asyncio.run(call_asgi(app, "POST", b"/?" + query, headers, [body]))
    event(f"{answer.status} {answer.body.get('Code')}")
    assert answer.status < 500  # an InternalError here would be an unhandled case in the door
    assert answer.status >= 400
    assert set(answer.body) == ERROR_KEYS
    assert all(isinstance(answer.body[key], str) for key in ERROR_KEYS)
    assert answer.body["Code"] and answer.body["Message"]
    assert answer.headers["content-type"] == "application/json"
    fuzzing.assert_no_internal_details(json.dumps(answer.body))
