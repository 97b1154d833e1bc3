"""End to end: the unmodified official SDK against a live uvicorn server running the door."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from tencent_server import (
    BUSY_SECRET_ID,
    BUSY_SECRET_KEY,
    SECRET_ID,
    Caller,
    FakeActions,
    SkewedClock,
    common_client,
    sdk_client,
)
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.ses.v20201002 import models

from mailyard.web.tencent.door import TencentFrontDoor
from mailyard.web.tencent.errors import TencentError

pytestmark = pytest.mark.timeout(30)

ALL_PROFILES = [
    ("POST", "TC3-HMAC-SHA256"),
    ("GET", "TC3-HMAC-SHA256"),
    ("POST", "HmacSHA1"),
    ("POST", "HmacSHA256"),
    ("GET", "HmacSHA1"),
    ("GET", "HmacSHA256"),
]


def list_request(**fields: Any) -> models.ListSendTasksRequest:
    request = models.ListSendTasksRequest()
    for name, value in fields.items():
        setattr(request, name, value)
    return request


def sdk_error(call: Callable[[], Any]) -> TencentCloudSDKException:
    with pytest.raises(TencentCloudSDKException) as caught:
        call()
    error = caught.value
    assert uuid.UUID(error.get_request_id()).version == 4
    return error


def test_tc3_post_success_parses_into_the_sdk_model(door_port: int, fake_actions: FakeActions) -> None:
    response = sdk_client(door_port).ListSendTasks(list_request(Offset=0, Limit=10, TaskType=3))
    assert isinstance(response, models.ListSendTasksResponse)
    assert response.TotalCount == 10
    task = response.Data[0]
    assert (task.TaskId, task.Subject, task.FromEmailAddress) == (7, "周报", "alice@mail.example.com")
    assert task.Template.TemplateID == 42
    assert task.CycleParam.IntervalTime == 168
    assert task.TimedParam is None
    assert uuid.UUID(response.RequestId).version == 4
    assert fake_actions.calls == [(Caller("account-1", "alice"), {"Offset": 0, "Limit": 10, "TaskType": 3})]


@pytest.mark.parametrize(("method", "sign"), ALL_PROFILES[1:])
def test_get_and_legacy_signatures_succeed_with_string_values(
    door_port: int, fake_actions: FakeActions, method: str, sign: str
) -> None:
    response = sdk_client(door_port, method, sign).ListSendTasks(list_request(Offset=0, Limit=5, Status=5))
    assert response.TotalCount == 5
    assert fake_actions.calls == [(Caller("account-1", "alice"), {"Offset": "0", "Limit": "5", "Status": "5"})]


def test_nested_parameters_survive_get_flattening(door_port: int, fake_actions: FakeActions) -> None:
    client = common_client(door_port, "GET", "HmacSHA256")
    client.call_json("ListSendTasks", {"Limit": 1, "Datas": [{"Email": "a@b.c", "Vars": {"k": "v w"}}], "On": True})
    assert fake_actions.calls[-1][1] == {
        "Limit": "1",
        "Datas": [{"Email": "a@b.c", "Vars": {"k": "v w"}}],
        "On": "True",
    }


@pytest.mark.parametrize(("method", "sign"), ALL_PROFILES)
def test_wrong_secret_is_signature_failure(door_port: int, method: str, sign: str) -> None:
    client = sdk_client(door_port, method, sign, secret_key="not-the-secret")
    assert sdk_error(lambda: client.ListSendTasks(list_request(Limit=1))).get_code() == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(("method", "sign"), [ALL_PROFILES[0], ALL_PROFILES[2]])
def test_unknown_secret_id(door_port: int, method: str, sign: str) -> None:
    client = sdk_client(door_port, method, sign, secret_id="AKIDnobodyHasThisKey")
    assert sdk_error(lambda: client.ListSendTasks(list_request(Limit=1))).get_code() == "AuthFailure.SecretIdNotFound"


@pytest.mark.parametrize(("method", "sign"), [ALL_PROFILES[0], ALL_PROFILES[4]])
@pytest.mark.parametrize("offset", [600.0, -600.0])
def test_skewed_server_clock_is_signature_expire(
    door_port: int, door_clock: SkewedClock, method: str, sign: str, offset: float
) -> None:
    door_clock.offset = offset
    client = sdk_client(door_port, method, sign)
    assert sdk_error(lambda: client.ListSendTasks(list_request(Limit=1))).get_code() == "AuthFailure.SignatureExpire"


def test_unknown_action_is_invalid_action(door_port: int) -> None:
    client = sdk_client(door_port)
    assert sdk_error(lambda: client.SendEmail(models.SendEmailRequest())).get_code() == "InvalidAction"
    # Matching is case-sensitive (1.2): a near miss is not routed.
    assert sdk_error(lambda: common_client(door_port).call_json("ListSendtasks", {})).get_code() == "InvalidAction"


def test_wrong_version_is_no_such_version(door_port: int) -> None:
    client = common_client(door_port, version="2019-01-01")
    assert sdk_error(lambda: client.call_json("ListSendTasks", {})).get_code() == "NoSuchVersion"


def test_unsupported_region(start_door: Callable[..., int]) -> None:
    port = start_door(regions={"ap-hongkong"})
    assert sdk_error(lambda: sdk_client(port).ListSendTasks(list_request())).get_code() == "UnsupportedRegion"


def test_throttling_is_request_limit_exceeded(door_port: int) -> None:
    busy = sdk_client(door_port, secret_id=BUSY_SECRET_ID, secret_key=BUSY_SECRET_KEY)
    outcomes: list[str] = []
    for _ in range(30):
        try:
            busy.ListSendTasks(list_request(Limit=1))
            outcomes.append("ok")
        except TencentCloudSDKException as error:
            outcomes.append(error.get_code())
    assert outcomes[:20] == ["ok"] * 20
    assert "RequestLimitExceeded" in outcomes[20:]
    # Another account, and another action of the same account, still have their own budget.
    assert sdk_client(door_port).ListSendTasks(list_request(Limit=1)).TotalCount == 1
    assert sdk_error(lambda: common_client(door_port).call_json("Refuse", {})).get_code() != "RequestLimitExceeded"


def test_handler_error_code_and_unicode_message_reach_the_caller(door_port: int) -> None:
    error = sdk_error(lambda: common_client(door_port).call_json("Refuse", {}))
    assert (error.get_code(), error.get_message()) == (
        "FailedOperation.ExceedSendLimit",
        "超出当日总量发送限制。",
    )


def test_unexpected_handler_error_is_internal_error_without_details(
    door_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    error = sdk_error(lambda: common_client(door_port, "GET", "HmacSHA1").call_json("Explode", {}))
    assert error.get_code() == "InternalError"
    assert "hunter2" not in error.get_message()
    assert "hunter2" in caplog.text


def test_translate_error_maps_other_exceptions(start_door: Callable[..., int]) -> None:
    def translate(error: Exception) -> TencentError | None:
        return TencentError("FailedOperation", "mapped") if isinstance(error, RuntimeError) else None

    port = start_door(translate_error=translate)
    assert sdk_error(lambda: common_client(port).call_json("Explode", {})).get_code() == "FailedOperation"


def test_oversize_body_through_the_sdk(door_port: int) -> None:
    request = models.BatchSendEmailRequest()
    request.Subject = "x" * (9 * 1024 * 1024)
    client = sdk_client(door_port)
    assert sdk_error(lambda: client.BatchSendEmail(request)).get_code() == "RequestSizeLimitExceeded"


def test_oversize_legacy_form_body(start_door: Callable[..., int]) -> None:
    port = start_door(max_body_bytes=1024)
    client = sdk_client(port, "POST", "HmacSHA256")
    assert client.ListSendTasks(list_request(Limit=1)).TotalCount == 1
    big = common_client(port, "POST", "HmacSHA256")
    assert sdk_error(lambda: big.call_json("ListSendTasks", {"Pad": "y" * 2048})).get_code() == (
        "RequestSizeLimitExceeded"
    )


def chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // 4096):
        yield b"a" * 4096


def envelope_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()["Response"]
    assert uuid.UUID(body["RequestId"]).version == 4
    return body


def test_chunked_oversize_body_without_content_length(start_door: Callable[..., int]) -> None:
    port = start_door(max_body_bytes=64 * 1024)
    headers = {"X-TC-Action": "ListSendTasks", "Content-Type": "application/json"}
    response = httpx.post(f"http://127.0.0.1:{port}/", headers=headers, content=chunks(256 * 1024), timeout=10)
    assert "content-length" not in response.request.headers
    assert envelope_of(response)["Error"]["Code"] == "RequestSizeLimitExceeded"


def raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_huge_declared_length_is_refused_without_reading(door_port: int) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-TC-Action: ListSendTasks\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{"
    )
    head, _, body = raw_exchange(door_port, request).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body)["Response"]["Error"]["Code"] == "RequestSizeLimitExceeded"


def test_content_type_header_bytes_are_exactly_application_json(door_port: int) -> None:
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-TC-Action: ListSendTasks\r\nConnection: close\r\n\r\n"
    head, _, body = raw_exchange(door_port, request).partition(b"\r\n\r\n")
    header_lines = head.lower().split(b"\r\n")
    assert [line for line in header_lines if line.startswith(b"content-type:")] == [b"content-type: application/json"]
    # Authentication comes first (1.7.2): an unsigned request is refused before its parameters are read.
    assert json.loads(body)["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_methods_are_unsupported_protocol(door_port: int, method: str) -> None:
    response = httpx.request(method, f"http://127.0.0.1:{door_port}/", headers={"X-TC-Action": "ListSendTasks"})
    assert envelope_of(response)["Error"]["Code"] == "UnsupportedProtocol"


def scope_request(method: str, query: str = "", headers: dict[str, str] | None = None) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    scope = {"type": "http", "method": method, "path": "/", "query_string": query.encode(), "headers": raw}
    return Request(scope)


@pytest.mark.parametrize(
    ("request_", "claimed"),
    [
        (scope_request("POST", headers={"X-TC-Action": "ListSendTasks"}), True),
        (scope_request("GET", f"Action=ListSendTasks&SecretId={SECRET_ID}&Signature=x"), True),
        (scope_request("POST", headers={"Content-Type": "application/x-www-form-urlencoded"}), True),
        # Alibaba ACS3 and legacy RPC (spec 3.2 #8, #12) belong to the other door.
        (
            scope_request("POST", "PageNum=1", {"x-acs-action": "GetMailTaskList", "x-acs-version": "2022-01-01"}),
            False,
        ),
        (
            scope_request("POST", "Action=GetMailTaskList&AccessKeyId=LTAI&Signature=x", {"x-acs-action": "G"}),
            False,
        ),
        (scope_request("GET"), False),
        (scope_request("POST", headers={"Content-Type": "application/json"}), False),
    ],
)
def test_claims(request_: Request, claimed: bool) -> None:
    assert TencentFrontDoor.claims(request_) is claimed


TC3_HEAD = b"X-TC-Action: ListSendTasks\r\nX-TC-Version: 2020-10-02\r\n"


@pytest.mark.parametrize(
    ("head", "code"),
    [
        # Unsigned: authentication comes first, so the query is never decoded (1.7.2).
        (b"GET /?Limit=%ff HTTP/1.1\r\n" + TC3_HEAD, "AuthFailure.InvalidAuthorization"),
        (b"POST / HTTP/1.1\r\n" + TC3_HEAD + b"X-TC-Action: SendEmail\r\n", "InvalidParameter"),
        (
            b"POST / HTTP/1.1\r\n" + TC3_HEAD + b"Content-Type: application/json\r\nContent-Type: text/plain\r\n",
            "InvalidParameter",
        ),
    ],
)
def test_undecodable_or_ambiguous_requests_are_refused(door_port: int, head: bytes, code: str) -> None:
    # (A raw non-ASCII byte in the target never gets this far: uvicorn answers 400 itself.)
    answer = raw_exchange(door_port, head + b"Host: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body)["Response"]["Error"]["Code"] == code
