"""Shared material for the Alibaba front door tests: the requests captured from the official SDK (spec 3.2),
an independent signer (the SDK's own signing functions), a tiny app around the door, and a live server."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from alibabacloud_tea_openapi.utils import Utils as SdkSigning
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailyard.web.aliyun.door import AliyunFrontDoor
from mailyard.web.aliyun.errors import AliyunError
from mailyard.web.aliyun.signature import parse_timestamp
from mailyard.web.aliyun.wire import WireRequest
from mailyard.web.guards.nonces import MemoryNonceGuard, NonceGuard

# Fake credentials invented for the capture (spec Part 3).
ACCESS_KEY_ID = "LTAI5tFAKEaccessKeyId01"
SECRET = "FAKEaccessKeySecretABCDEFGHIJ01"
PRINCIPAL = "user:alice"
SECRETS = {ACCESS_KEY_ID: (SECRET, PRINCIPAL), "LTAIsecondKey": ("secondSecret", "user:bob")}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_SIGNED = (
    "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;"
    "x-acs-signature-nonce;x-acs-version"
)
_COMMON = """Accept-Encoding: identity
host: 127.0.0.1:18765
x-acs-version: 2022-01-01
x-acs-action: {action}
user-agent: AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2
x-acs-date: {date}
x-acs-signature-nonce: {nonce}
accept: application/json
x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-credentials-provider: static_ak
Authorization: ACS3-HMAC-SHA256 Credential={key},SignedHeaders={signed},Signature={signature}
Content-Length: 0
"""


def _acs3(target: str, action: str, date: str, nonce: str, signature: str) -> str:
    headers = _COMMON.format(
        action=action, date=date, nonce=nonce, key=ACCESS_KEY_ID, signed=_SIGNED, signature=signature
    )
    return f"POST {target} HTTP/1.1\n{headers}"


# Spec 3.2, requests #8 to #12, byte for byte (headers in arrival order, empty bodies).
CAPTURED_TEXT = {
    8: _acs3(
        "/?PageNum=1&PageSize=10&Paused=True&UserNick=alice+smith",
        "GetMailTaskList",
        "2026-11-22T17:49:09Z",
        "9ec6f15e666a8b4c9abe78e3aaa5c653",
        "2418fd7bb5ef487524e3d0a840f5c8461ca75dbe2bb389d1435f68b5a14f829a",
    ),
    9: _acs3(
        "/?MailId=2342526",
        "GetMailTaskStatus",
        "2026-11-22T17:49:09Z",
        "bef4fad9b17bd4caf1d7c465902627b0",
        "63c4125f7007bb5f1e7d5a91fc4957418035b953d72b76285391ed961ecc1b37",
    ),
    10: _acs3(
        "/?MailId=2342526",
        "ManualRunMailTask",
        "2026-11-22T17:49:10Z",
        "25cd3a56049d4c5ac3c3f36b628002de",
        "f804b12c619b6bc29cb43b55b463ea2234898300300681fb9b983f5e19a06e2c",
    ),
    11: _acs3(
        "/?MailId=force-error",
        "ManualRunMailTask",
        "2026-11-22T17:49:10Z",
        "5198834f68ed7b93535a7166a194676f",
        "d69863696f3ddd93ea60f76d4bfd152dd2426ce00d75e9b2f8b0753d87a1f1c5",
    ),
    12: """POST /?Action=GetMailTaskList&Format=json&Version=2022-01-01&Timestamp=2026-11-22T17%3A49%3A10Z\
&SignatureNonce=880356e1f7d4adfa7373fb119ad8691b&PageNum=2&PageSize=5&Paused=False&SignatureMethod=HMAC-SHA1\
&SignatureVersion=1.0&AccessKeyId=LTAI5tFAKEaccessKeyId01&Signature=W3JcHFiNpVROTzviJAN7K8HDGzA%3D HTTP/1.1
Accept-Encoding: identity
host: 127.0.0.1:18765
x-acs-version: 2022-01-01
x-acs-action: GetMailTaskList
user-agent: AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2
x-acs-credentials-provider: static_ak
Content-Length: 0
""",
}


@dataclass(frozen=True)
class RawRequest:
    """One HTTP request as bytes on the wire would carry it."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    @classmethod
    def parse(cls, text: str) -> RawRequest:
        request_line, *lines = text.splitlines()
        method, target, _ = request_line.split(" ")
        headers = tuple(tuple(line.split(": ", 1)) for line in lines if line)
        return cls(method, target, headers)  # type: ignore[arg-type]

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def timestamp(self) -> float:
        """When it was signed: its x-acs-date, or its V2 Timestamp."""
        date = self.header("x-acs-date")
        if date is None:
            date = dict(pair.split("=", 1) for pair in self.query.split("&"))["Timestamp"].replace("%3A", ":")
        return parse_timestamp(date)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def with_query(self, query: str) -> RawRequest:
        return replace(self, target=f"{self.path}?{query}")

    def with_header(self, name: str, value: str | None) -> RawRequest:
        kept = tuple((key, item) for key, item in self.headers if key.lower() != name)
        return replace(self, headers=kept if value is None else (*kept, (name, value)))

    def wire(self) -> WireRequest:
        encoded = [(key.encode("latin-1"), value.encode("latin-1")) for key, value in self.headers]
        return WireRequest.decode(self.method, self.path, self.query.encode(), encoded, self.body)

    def replay_headers(self) -> list[tuple[str, str]]:
        """Headers for re-sending with httpx, which sets the framing headers itself."""
        return [(key, value) for key, value in self.headers if key.lower() not in ("content-length",)]


@pytest.fixture(scope="session")
def captured() -> dict[int, RawRequest]:
    return {number: RawRequest.parse(text) for number, text in CAPTURED_TEXT.items()}


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK sends even 127.0.0.1 traffic through HTTP_PROXY and ignores NO_PROXY (spec 2.4.5).
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


# ---- an independent signer: the SDK's own functions ----


def sdk_date(unix_time: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_time))


def sign_v3(
    params: dict[str, str],
    *,
    at: float,
    action: str = "GetMailTaskList",
    nonce: str = "0123456789abcdef0123456789abcdef",
    access_key_id: str = ACCESS_KEY_ID,
    secret: str = SECRET,
    body: bytes = b"",
    extra_headers: dict[str, str] | None = None,
) -> RawRequest:
    """A V3 request signed by the SDK's `get_authorization`, sent the way the SDK sends it (spec 2.4.1)."""
    headers = {
        "host": "127.0.0.1:18765",
        "x-acs-version": "2022-01-01",
        "x-acs-action": action,
        "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
        "x-acs-date": sdk_date(at),
        "x-acs-signature-nonce": nonce,
        "accept": "application/json",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        **(extra_headers or {}),
    }
    request = SimpleNamespace(pathname="/", method="POST", query=params, headers=headers)
    payload = headers["x-acs-content-sha256"]
    authorization = SdkSigning.get_authorization(request, "ACS3-HMAC-SHA256", payload, access_key_id, secret)
    target = "/?" + urlencode(params) if params else "/"
    return RawRequest("POST", target, (*headers.items(), ("Authorization", authorization)), body)


def sign_v2(
    params: dict[str, str],
    *,
    at: float,
    action: str = "GetMailTaskList",
    nonce: str = "fedcba9876543210fedcba9876543210",
    access_key_id: str = ACCESS_KEY_ID,
    secret: str = SECRET,
) -> RawRequest:
    """A legacy RPC request signed by the SDK's `get_rpcsignature` (spec 2.4.3)."""
    query = {
        "Action": action,
        "Format": "json",
        "Version": "2022-01-01",
        "Timestamp": sdk_date(at),
        "SignatureNonce": nonce,
        **params,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "AccessKeyId": access_key_id,
    }
    query["Signature"] = SdkSigning.get_rpcsignature(query, "POST", secret)
    headers = (("host", "127.0.0.1:18765"), ("x-acs-action", action), ("x-acs-version", "2022-01-01"))
    return RawRequest("POST", "/?" + urlencode(query), headers)


# ---- a tiny app around the door ----

MAIL_TASK_LIST_RESULT = {
    "PageNum": 1,
    "PageSize": 10,
    "TotalNum": 1,
    "TotalPages": 1,
    "Pre": 0,
    "Next": 0,
    "Data": [
        {
            "MailId": "2342526",
            "Paused": True,
            "BizOwnerUserId": "asag****2423",
            "BizOwnerName": "alice smith",
            "SubscribeName": "daily sales",
        }
    ],
}


@dataclass
class FakeActions:
    """Actions that record what they were given: the door's output, seen from the handler's side."""

    calls: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)

    async def get_mail_task_list(self, principal: Any, params: dict[str, Any]) -> Any:
        self.calls.append((principal, params))
        return MAIL_TASK_LIST_RESULT

    async def manual_run_mail_task(self, principal: Any, params: dict[str, Any]) -> Any:
        self.calls.append((principal, params))
        raise AliyunError("Mail.Not.Found", "The Subscription Task Does Not Exist.")

    def table(self) -> dict[str, Any]:
        return {"GetMailTaskList": self.get_mail_task_list, "ManualRunMailTask": self.manual_run_mail_task}


async def lookup_secret(access_key_id: str) -> tuple[str, str] | None:
    return SECRETS.get(access_key_id)


class SettableClock:
    """The server's clock: real time, shifted or pinned by a test."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.pinned: float | None = None

    def __call__(self) -> float:
        return self.pinned if self.pinned is not None else time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)


def make_door(
    actions: dict[str, Any], clock: Any, nonce_guard: NonceGuard | None = None, **options: Any
) -> AliyunFrontDoor[str]:
    return AliyunFrontDoor(
        lookup_secret=lookup_secret,
        actions=actions,
        nonce_guard=MemoryNonceGuard() if nonce_guard is None else nonce_guard,
        clock=clock,
        **options,
    )


def make_app(door: AliyunFrontDoor[str], recorded: list[RawRequest] | None = None) -> Starlette:
    async def endpoint(request: Request) -> Response:
        if recorded is not None:
            target = request.scope["raw_path"].decode() + "?" + request.scope["query_string"].decode()
            headers = tuple((key.decode("latin-1"), value.decode("latin-1")) for key, value in request.headers.raw)
            recorded.append(RawRequest(request.method, target, headers, await request.body()))
        return await door.handle(request)

    return Starlette(routes=[Route("/", endpoint, methods=["GET", "POST"])])


# ---- a live uvicorn server on a random port ----


class _ThreadServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


@contextmanager
def serving(app: Starlette) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 in a background thread; yield the port; stop cleanly."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = _ThreadServer(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(10), "uvicorn did not start"
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


# ---- fixtures handing the above to the tests (conftest modules are not imported by tests) ----


@pytest.fixture(scope="session")
def harness() -> SimpleNamespace:
    return SimpleNamespace(
        access_key_id=ACCESS_KEY_ID,
        secret=SECRET,
        principal=PRINCIPAL,
        result=MAIL_TASK_LIST_RESULT,
        sign_v3=sign_v3,
        sign_v2=sign_v2,
        sdk_date=sdk_date,
        RawRequest=RawRequest,
        FakeActions=FakeActions,
        SettableClock=SettableClock,
        make_door=make_door,
        make_app=make_app,
        serving=serving,
    )


@pytest.fixture(scope="module")
def live() -> Iterator[SimpleNamespace]:
    """One uvicorn server per test module, with a settable clock and a record of every raw request."""
    clock, actions, recorded = SettableClock(), FakeActions(), []
    app = make_app(make_door(actions.table(), clock), recorded)
    with serving(app) as port:
        yield SimpleNamespace(port=port, clock=clock, actions=actions, recorded=recorded)
