"""End to end: the unmodified official Quick BI SDK against the door on a real uvicorn server (spec 2.4.6)."""

from __future__ import annotations

import httpx
import pytest
from alibabacloud_quickbi_public20220101 import models as quickbi
from alibabacloud_quickbi_public20220101.client import Client
from alibabacloud_tea_openapi import utils_models as open_api_models
from alibabacloud_tea_openapi.exceptions import ClientException

pytestmark = pytest.mark.timeout(30)
ALGORITHMS = pytest.mark.parametrize("algorithm", [None, "v2"], ids=["acs3", "v2"])
CAPTURE_TIME = 1795369749.0


@pytest.fixture(autouse=True)
def real_time(live):
    live.clock.offset, live.clock.pinned = 0.0, None
    yield
    live.clock.offset, live.clock.pinned = 0.0, None


def sdk_client(live, harness, algorithm, access_key_id=None, secret=None) -> Client:
    config = open_api_models.Config(
        access_key_id=access_key_id or harness.access_key_id,
        access_key_secret=secret or harness.secret,
        endpoint=f"127.0.0.1:{live.port}",  # host:port, no scheme
        protocol="http",  # each action hard-codes HTTPS otherwise
        signature_algorithm=algorithm,
        connect_timeout=2000,
        read_timeout=5000,
    )
    return Client(config)


def list_request() -> quickbi.GetMailTaskListRequest:
    return quickbi.GetMailTaskListRequest(page_num=1, page_size=10, paused=True, user_nick="alice smith")


def sdk_error(call) -> ClientException:
    with pytest.raises(ClientException) as caught:
        call()
    return caught.value


def replay(live, raw) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=5) as client:
        url = f"http://127.0.0.1:{live.port}{raw.target}"
        return client.request(raw.method, url, headers=raw.replay_headers(), content=raw.body)


@ALGORITHMS
def test_mail_task_list_parses_into_the_sdk_model(live, harness, algorithm):
    response = sdk_client(live, harness, algorithm).get_mail_task_list(list_request())
    assert response.status_code == 200
    body = response.body
    assert body.success is True
    assert response.headers["x-acs-request-id"] == body.request_id
    assert (body.result.page_num, body.result.total_num, body.result.next) == (1, 1, 0)
    task = body.result.data[0]
    assert (task.mail_id, task.biz_owner_name, task.paused, task.subscribe_name) == (
        "2342526",
        "alice smith",
        True,
        "daily sales",
    )
    # What the handler received: the space decoded, Python's 'True' left for the action to coerce.
    assert live.actions.calls[-1] == (
        harness.principal,
        {"PageNum": "1", "PageSize": "10", "Paused": "True", "UserNick": "alice smith"},
    )


@ALGORITHMS
def test_wrong_secret(live, harness, algorithm):
    client = sdk_client(live, harness, algorithm, secret="not-the-secret")
    error = sdk_error(lambda: client.get_mail_task_list(list_request()))
    assert (error.code, error.status_code) == ("SignatureDoesNotMatch", 400)


@ALGORITHMS
def test_unknown_access_key(live, harness, algorithm):
    client = sdk_client(live, harness, algorithm, access_key_id="LTAIunknownKey")
    error = sdk_error(lambda: client.get_mail_task_list(list_request()))
    assert (error.code, error.status_code) == ("InvalidAccessKeyId.NotFound", 404)


@ALGORITHMS
@pytest.mark.parametrize("skew", [-20 * 60, 20 * 60])
def test_skewed_clock(live, harness, algorithm, skew):
    live.clock.offset = skew
    error = sdk_error(lambda: sdk_client(live, harness, algorithm).get_mail_task_list(list_request()))
    assert (error.code, error.status_code) == ("InvalidTimeStamp.Expired", 400)


@ALGORITHMS
def test_unknown_action(live, harness, algorithm):
    client = sdk_client(live, harness, algorithm)
    error = sdk_error(lambda: client.get_mail_task_status(quickbi.GetMailTaskStatusRequest(mail_id="2342526")))
    assert (error.code, error.status_code) == ("InvalidAction.NotFound", 404)


@ALGORITHMS
def test_handler_error_surfaces_with_its_code(live, harness, algorithm):
    client = sdk_client(live, harness, algorithm)
    error = sdk_error(lambda: client.manual_run_mail_task(quickbi.ManualRunMailTaskRequest(mail_id="2342526")))
    assert (error.code, error.status_code) == ("Mail.Not.Found", 400)
    assert "The Subscription Task Does Not Exist." in error.message
    assert error.request_id and error.data["HostId"] == f"127.0.0.1:{live.port}"
    assert live.actions.calls[-1][1] == {"MailId": "2342526"}


@ALGORITHMS
def test_replayed_sdk_request_is_refused(live, harness, algorithm):
    sdk_client(live, harness, algorithm).get_mail_task_list(list_request())
    raw = live.recorded[-1]
    answer = replay(live, raw)
    assert answer.status_code == 400
    assert answer.json()["Code"] == "SignatureNonceUsed"


@pytest.mark.parametrize("number", [8, 12])
def test_replayed_spec_capture_is_served_once(live, captured, number):
    live.clock.pinned = CAPTURE_TIME  # the moment the spec's requests were signed
    first, second = replay(live, captured[number]), replay(live, captured[number])
    assert first.status_code == 200 and first.json()["Success"] is True
    assert second.status_code == 400 and second.json()["Code"] == "SignatureNonceUsed"
