"""A real uvicorn server on 127.0.0.1 serving a TencentFrontDoor, and SDK clients pointed at it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.ses.v20201002 import ses_client

from mailyard.web.guards.throttle import ActionThrottle
from mailyard.web.tencent.coercion import as_uint64
from mailyard.web.tencent.door import TencentFrontDoor
from mailyard.web.tencent.errors import TencentError

SECRET_ID = "AKIDfakeSecretId0123456789EXAMPLE"
SECRET_KEY = "fakeSecretKeyABCDEFGHIJKLMN0123456"
BUSY_SECRET_ID = "AKIDbusyAccount000000000000000000"
BUSY_SECRET_KEY = "busySecretKey0000000000000000000000"


@dataclass(frozen=True)
class Caller:
    account: str
    user: str


SECRETS: dict[str, tuple[str, Caller]] = {
    SECRET_ID: (SECRET_KEY, Caller("account-1", "alice")),
    BUSY_SECRET_ID: (BUSY_SECRET_KEY, Caller("account-busy", "bob")),
}


@dataclass
class SkewedClock:
    """The door's clock: real time plus an offset a test can move."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)


@dataclass
class FakeActions:
    """A stand-in ``ListSendTasks`` plus two actions that fail on purpose; records every call."""

    calls: list[tuple[Caller, dict[str, Any]]] = field(default_factory=list)

    async def list_send_tasks(self, caller: Caller, params: dict[str, Any]) -> Mapping[str, Any]:
        self.calls.append((caller, params))
        limit = as_uint64(params.get("Limit", 10), "Limit")
        return {
            "TotalCount": limit,
            "Data": [
                {
                    "TaskId": 7,
                    "FromEmailAddress": f"{caller.user}@mail.example.com",
                    "ReceiverId": 77,
                    "TaskStatus": 10,
                    "TaskType": 3,
                    "RequestCount": 2,
                    "SendCount": 2,
                    "CacheCount": 0,
                    "CreateTime": "2024-05-01 09:00:00",
                    "UpdateTime": "2024-05-01 09:00:05",
                    "Subject": "周报",
                    "Template": {"TemplateID": 42, "TemplateData": '{"name":"x"}'},
                    "CycleParam": {"BeginTime": "2024-05-01 09:00:00", "IntervalTime": 168, "TermCycle": 0},
                    "TimedParam": None,
                    "ErrMsg": None,
                    "ReceiversName": "weekly",
                }
            ],
        }

    async def refuse(self, caller: Caller, params: dict[str, Any]) -> Mapping[str, Any]:
        raise TencentError("FailedOperation.ExceedSendLimit", "超出当日总量发送限制。")

    async def explode(self, caller: Caller, params: dict[str, Any]) -> Mapping[str, Any]:
        raise RuntimeError("database password is hunter2")

    def table(self) -> dict[str, Any]:
        return {"ListSendTasks": self.list_send_tasks, "Refuse": self.refuse, "Explode": self.explode}


async def lookup_secret(secret_id: str) -> tuple[str, Caller] | None:
    return SECRETS.get(secret_id)


def build_door(
    actions: FakeActions, clock: SkewedClock, throttle: ActionThrottle | None = None, **options: Any
) -> TencentFrontDoor[Caller]:
    return TencentFrontDoor(
        lookup_secret=lookup_secret,
        actions=actions.table(),
        throttle=throttle or ActionThrottle(),
        account_of=lambda caller: caller.account,
        clock=clock,
        **options,
    )


def build_app(door: TencentFrontDoor[Caller]) -> Starlette:
    # PUT and DELETE reach the door too, so its own UnsupportedProtocol answer is exercised.
    return Starlette(routes=[Route("/", door.handle, methods=["GET", "POST", "PUT", "DELETE"])])


@contextmanager
def serve(door: TencentFrontDoor[Caller]) -> Iterator[int]:
    """Run uvicorn in a thread on a free port; yield the port; stop and join on exit."""
    config = uvicorn.Config(build_app(door), log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        yield sock.getsockname()[1]
    finally:
        # Nothing is in flight once the test is done, so skip uvicorn's 0.1 s polls for idle keep-alives.
        server.should_exit = server.force_exit = True
        thread.join(timeout=10)
        sock.close()


def profile(port: int, method: str = "POST", sign: str = "TC3-HMAC-SHA256") -> ClientProfile:
    http = HttpProfile(protocol="http", endpoint=f"127.0.0.1:{port}", reqMethod=method, reqTimeout=10)
    return ClientProfile(signMethod=sign, httpProfile=http)


def sdk_client(
    port: int,
    method: str = "POST",
    sign: str = "TC3-HMAC-SHA256",
    secret_id: str = SECRET_ID,
    secret_key: str = SECRET_KEY,
) -> ses_client.SesClient:
    return ses_client.SesClient(
        credential.Credential(secret_id, secret_key), "ap-guangzhou", profile(port, method, sign)
    )


def common_client(
    port: int, method: str = "POST", sign: str = "TC3-HMAC-SHA256", version: str = "2020-10-02"
) -> CommonClient:
    cred = credential.Credential(SECRET_ID, SECRET_KEY)
    return CommonClient("ses", version, cred, "ap-guangzhou", profile(port, method, sign))
