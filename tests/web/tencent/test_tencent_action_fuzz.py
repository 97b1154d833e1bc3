"""Property: every one of the 36 real actions, given any validly signed body, answers a well-formed HTTP 200
envelope and never ``InternalError`` (which would mean a handler crashed on bad input).

The whole service runs in this process (bootstrap.open_runtime + create_web_app over SQLite, served by uvicorn
in a thread) with a real key and real content (domain, sender, template, list), so well-typed identifiers reach
deep into the handlers. Bodies mix each action's real field names (from the official SDK's request models)
with junk keys and JSON values of every type; GET variants carry the same flattened, signed with TC3 or v1.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import inspect
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tencent_captured import tc3_authorization
from tencentcloud.ses.v20201002 import models
from tests.web import fuzzing

from mailyard import bootstrap
from mailyard.domain import accounts
from mailyard.settings import Settings
from mailyard.web.tencent import front

pytestmark = [fuzzing.timeout(120, 150), pytest.mark.fuzz]

FUZZ = settings(
    max_examples=fuzzing.examples(150),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REQUEST_FIELDS: dict[str, list[str]] = {
    name.removesuffix("Request"): [key.lstrip("_") for key in vars(model())]
    for name, model in inspect.getmembers(models, inspect.isclass)
    if name.endswith("Request")
}
ACTIONS = sorted(REQUEST_FIELDS)
NESTED_FIELDS = sorted(
    {key.lstrip("_") for _name, model in inspect.getmembers(models, inspect.isclass) for key in vars(model())}
)


@dataclass(frozen=True)
class Service:
    port: int
    key: tuple[str, str]
    known_ids: tuple[int, ...]  # real template and list ids, so some requests get past the lookups
    actions: tuple[str, ...]  # the names the door serves

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


async def _seed(runtime: bootstrap.Runtime) -> tuple[accounts.IssuedKey, tuple[int, ...]]:
    services = runtime.services
    issued = await services.access.issue_key(account_name="fuzz", nickname="admin")
    principal = await services.access.operator("fuzz")
    await services.identities.create_domain(principal, "mail.example.com")
    await services.identities.create_sender(principal, address="news@mail.example.com", display_name="News")
    template = await services.templates.create(principal, name="t", subject="Hi", text="Hello {{name}}", html=None)
    made = await services.recipients.create_list(principal, name="readers", description="")
    await services.recipients.add_recipients(principal, made.id, [("ann@example.org", {"name": "Ann"})])
    return issued, (template.id, made.id, 1, 2)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    options = Settings(data_dir=data_dir, identity_verification="trust", tencent_rate_limit=1_000_000)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    started: dict[str, Any] = {}
    ready = threading.Event()

    async def main() -> None:
        runtime = await bootstrap.open_runtime(options)
        try:
            issued, known = await _seed(runtime)
            server = uvicorn.Server(
                uvicorn.Config(bootstrap.create_web_app(runtime), log_level="warning", lifespan="off")
            )
            started.update(server=server, key=(issued.secret_id, issued.secret_key), known=known)
            started["actions"] = tuple(sorted(front.action_table(runtime.services)))
            ready.set()
            await server.serve(sockets=[sock])
        finally:
            ready.set()
            await runtime.close()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(30) and "server" in started, "the service did not start"
    server = started["server"]
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield Service(sock.getsockname()[1], started["key"], started["known"], started["actions"])
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="module")
def http(service: Service) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://{service.host}", timeout=30, trust_env=False) as client:
        yield client


# ---- strategies --------------------------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 3, 5, 6, 7, 10, 100, 101, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -1, -(2**63) - 1]),
    st.sampled_from(fuzzing.EDGE_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=24),
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "-1",
            "1.5",
            "true",
            "{}",
            '{"name":"x"}',
            "[1]",
            "2026-01-01 00:00:00",
            "2026-13-45 99:99:99",
            "news@mail.example.com",
            "News <news@mail.example.com>",
            "ann@example.org",
            "mail.example.com",
            "SGVsbG8=",
            "%%%",
            "\x00",
            "a" * 300,
        ]
    ),
)


def json_values(known_ids: tuple[int, ...]) -> st.SearchStrategy[Any]:
    leaves = SCALARS | st.sampled_from(known_ids)
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.sampled_from(NESTED_FIELDS) | st.text(max_size=6), children, max_size=4)
        ),
        max_leaves=12,
    )


def plausible(field: str, known_ids: tuple[int, ...]) -> st.SearchStrategy[Any]:
    """A value of about the right type for a field, by its name; often right enough to reach the service."""
    numbers = st.sampled_from(known_ids) | st.integers(min_value=0, max_value=120)
    if field.endswith(("Id", "ID", "Offset", "Limit", "Status", "Type", "Count", "Time", "Cycle", "Location")):
        return numbers | st.sampled_from(["2026-01-01 09:00:00", "2020-01-01"])
    if "Email" in field or "Address" in field or field in ("Destination", "Cc", "Bcc"):
        addresses = st.sampled_from(["ann@example.org", "news@mail.example.com", "News <news@mail.example.com>"])
        return addresses | st.lists(addresses, max_size=3)
    if field.endswith("s") or field in ("Data", "Template", "TemplateContent"):
        children = st.dictionaries(st.sampled_from(NESTED_FIELDS), SCALARS | numbers, max_size=4)
        return children | st.lists(children | SCALARS, max_size=3)
    return st.sampled_from(["mail.example.com", "Hello", "SGVsbG8=", "{}", "0", "1"]) | st.text(max_size=12)


def bodies(action: str, known_ids: tuple[int, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """Each real field present or not (so some bodies get deep into the handler), plus junk keys."""
    values = json_values(known_ids)
    optional = {field: plausible(field, known_ids) | values for field in REQUEST_FIELDS[action]}
    real = st.fixed_dictionaries({}, optional=optional)
    junk = st.dictionaries(st.text(max_size=8), values, max_size=2)
    return st.builds(lambda chosen, extra: extra | chosen, real, junk)


# ---- signing -----------------------------------------------------------------------------------------------


def flattened(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested objects and arrays as the SDK flattens them into query parameters (``A.B``, ``A.0``)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs += flattened(value, f"{name}.")
        elif isinstance(value, list):
            pairs += flattened({str(index): item for index, item in enumerate(value)}, f"{name}.")
        elif value is not None:
            pairs.append((name, json.dumps(value) if isinstance(value, bool) else str(value)))
    return pairs


def tc3_request(service: Service, action: str, method: str, params: dict[str, Any]) -> httpx.Request:
    timestamp = int(time.time())
    if method == "POST":
        body, query, content_type = json.dumps(params).encode(), "", "application/json"
    else:
        body, query, content_type = b"", urlencode(flattened(params)), "application/x-www-form-urlencoded"
    headers = {"content-type": content_type, "host": service.host}
    authorization = tc3_authorization(
        method=method,
        headers=headers,
        signed=("content-type", "host"),
        raw_query=query,
        body=body,
        timestamp=timestamp,
        secret_id=service.key[0],
        secret_key=service.key[1],
    )
    headers |= {
        "authorization": authorization,
        "x-tc-action": action,
        "x-tc-version": "2020-10-02",
        "x-tc-timestamp": str(timestamp),
        "x-tc-region": "ap-guangzhou",
    }
    return httpx.Request(
        method, f"http://{service.host}/" + (f"?{query}" if query else ""), headers=headers, content=body
    )


def v1_request(service: Service, action: str, params: dict[str, Any]) -> httpx.Request:
    """A legacy HmacSHA256 GET: the parameters signed over ``GET<host>/?a=b&...`` (spec 1.7.4)."""
    pairs = dict(flattened(params))
    pairs |= {
        "Action": action,
        "Version": "2020-10-02",
        "Region": "ap-guangzhou",
        "Timestamp": str(int(time.time())),
        "Nonce": str(uuid.uuid4().int % 10**9),
        "SecretId": service.key[0],
        "SignatureMethod": "HmacSHA256",
    }
    # As the SDK signs: keys with "_" written with ".", sorted by that spelling, values raw.
    signed = sorted((key.replace("_", "."), value) for key, value in pairs.items())
    to_sign = f"GET{service.host}/?" + "&".join(f"{key}={value}" for key, value in signed)
    digest = hmac.new(service.key[1].encode(), to_sign.encode(), hashlib.sha256).digest()
    pairs["Signature"] = base64.b64encode(digest).decode()
    query = "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in pairs.items())
    return httpx.Request("GET", f"http://{service.host}/?{query}", headers={"host": service.host})


def assert_no_crash(response: httpx.Response, action: str, params: object) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document = response.json()
    assert list(document) == ["Response"]
    body: dict[str, Any] = document["Response"]
    assert uuid.UUID(body["RequestId"]).version == 4
    if "Error" in body:
        assert set(body) == {"Error", "RequestId"}
        assert set(body["Error"]) == {"Code", "Message"}
        code = body["Error"]["Code"]
        assert isinstance(code, str) and code and isinstance(body["Error"]["Message"], str)
        assert code not in ("InternalError", "AuthFailure.SignatureFailure", "InvalidAction"), (action, params, body)
        fuzzing.assert_no_internal_details(response.text, sent=f"{params!r} {json.dumps(params, default=str)}")
    return body


# ---- properties --------------------------------------------------------------------------------------------


def test_the_sdk_names_exactly_the_served_actions(service: Service) -> None:
    assert len(ACTIONS) == 36
    assert list(service.actions) == ACTIONS


@FUZZ
@given(data=st.data(), action=st.sampled_from(ACTIONS))
def test_any_signed_json_body_gets_an_envelope_never_a_crash(
    service: Service, http: httpx.Client, data: st.DataObject, action: str
) -> None:
    params = data.draw(bodies(action, service.known_ids))
    assert_no_crash(http.send(tc3_request(service, action, "POST", params)), action, params)


@FUZZ
@given(data=st.data(), action=st.sampled_from(ACTIONS), v1=st.booleans())
def test_any_signed_query_gets_an_envelope_never_a_crash(
    service: Service, http: httpx.Client, data: st.DataObject, action: str, v1: bool
) -> None:
    params = data.draw(bodies(action, service.known_ids))
    request = v1_request(service, action, params) if v1 else tc3_request(service, action, "GET", params)
    assert_no_crash(http.send(request), action, params)


# ---- Quick BI (Alibaba Cloud RPC) on the same port: smaller, never a 5xx --------------------------------

QUICK_BI_FIELDS = {
    "GetMailTaskList": ["CurrentPage", "PageSize", "MailId", "UserNick", "Paused"],
    "GetMailTaskStatus": ["MailId", "TaskId"],
    "ManualRunMailTask": ["MailId"],
}
QUICK_BI_VALUES = st.one_of(
    st.sampled_from(["1", "0", "-1", "10", "1000", "true", "false", "admin", "", "99999999999999999999999"]),
    st.sampled_from(fuzzing.EDGE_NUMBERS),
    st.integers(min_value=-(2**65), max_value=2**65).map(str),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=16),
)


def quick_bi_request(service: Service, action: str, params: dict[str, str]) -> httpx.Request:
    """An ACS3-HMAC-SHA256 request signed by the official Alibaba Cloud SDK's own signer."""
    from types import SimpleNamespace

    from alibabacloud_tea_openapi.utils import Utils as SdkSigning

    headers = {
        "host": service.host,
        "x-acs-version": "2022-01-01",
        "x-acs-action": action,
        "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "accept": "application/json",
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
    }
    signed = SimpleNamespace(pathname="/", method="POST", query=params, headers=headers)
    key_id, secret = service.key
    authorization = SdkSigning.get_authorization(
        signed, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], key_id, secret
    )
    target = f"http://{service.host}/" + (f"?{urlencode(params)}" if params else "")
    return httpx.Request("POST", target, headers=headers | {"authorization": authorization})


@settings(FUZZ, max_examples=fuzzing.examples(60))
@given(data=st.data(), action=st.sampled_from(sorted(QUICK_BI_FIELDS)))
def test_quick_bi_actions_never_answer_a_server_error(
    service: Service, http: httpx.Client, data: st.DataObject, action: str
) -> None:
    optional = {field: QUICK_BI_VALUES for field in QUICK_BI_FIELDS[action]}
    params = data.draw(st.fixed_dictionaries({}, optional=optional))
    response = http.send(quick_bi_request(service, action, params))
    assert response.status_code < 500, (action, params, response.text)
    fuzzing.assert_no_internal_details(response.text)
    body = response.json()
    assert "RequestId" in body, body
    if response.status_code >= 400:
        assert body.get("Code") not in (None, "InternalError", "SignatureDoesNotMatch"), (action, params, body)


# ---- anything at all, on the port every door shares: never a 5xx, never an internal detail -----------------

ANY_HEADER = st.sampled_from(
    [
        *("x-tc-action", "x-tc-version", "x-tc-timestamp", "x-tc-region", "authorization", "content-type"),
        *("x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"),
    ]
)
ANY_VALUE = st.sampled_from(
    [
        *("ListSendTasks", "GetMailTaskList", "2020-10-02", "2022-01-01", "application/json", "text/csv", ""),
        *("application/x-www-form-urlencoded", "TC3-HMAC-SHA256 Credential=a/b/c/d", "ACS3-HMAC-SHA256 x"),
        "Basic " + base64.b64encode(b"AKIDnobody:secret").decode(),
    ]
) | st.sampled_from(fuzzing.EDGE_NUMBERS).map(str.strip).filter(str.isascii)
ANY_QUERY = st.lists(
    st.tuples(
        st.sampled_from(["Action", "AccessKeyId", "Signature", "SecretId", "Nonce", "Timestamp", "MailId", "TaskId"])
        | st.text(max_size=6),
        st.sampled_from(fuzzing.EDGE_NUMBERS) | st.text(max_size=12),
    ),
    max_size=6,
).map(urlencode)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST"]),
    path=st.sampled_from(["/", "/v1/me", "/v1/tasks/1/cancel", "/unsubscribe/x", "/unsubscribe/" + "A" * 64]),
    headers=st.dictionaries(ANY_HEADER, ANY_VALUE, max_size=6),
    query=ANY_QUERY,
    body=st.binary(max_size=256) | st.sampled_from([b"{}", b'{"Limit": 18446744073709551616}', b"MailId=1"]),
)
def test_anything_on_the_shared_port_never_gets_a_server_error(
    http: httpx.Client, method: str, path: str, headers: dict[str, str], query: str, body: bytes
) -> None:
    response = http.request(method, path + (f"?{query}" if query else ""), headers=headers, content=body)
    assert response.status_code < 500, response.text
    fuzzing.assert_no_internal_details(response.text)
    if path == "/" and "Response" in response.text:
        assert response.json()["Response"].get("Error", {}).get("Code") != "InternalError", response.text


@pytest.mark.parametrize("mail_id", fuzzing.EDGE_NUMBERS)
@pytest.mark.parametrize("action", ["GetMailTaskStatus", "ManualRunMailTask"])
def test_quick_bi_ids_at_the_edges_are_answered_as_not_found(
    service: Service, http: httpx.Client, action: str, mail_id: str
) -> None:
    response = http.send(quick_bi_request(service, action, {"MailId": mail_id, "TaskId": mail_id}))
    assert response.status_code < 500, (mail_id, response.text)  # "²" passed str.isdigit() and broke int()
