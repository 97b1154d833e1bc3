"""End to end: the legacy Alibaba Cloud SDK (aliyun-python-sdk-core, still widely used) against the door."""

from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkquickbi_public.request.v20220101.ManualRunMailTaskRequest import ManualRunMailTaskRequest

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def real_time(live):
    live.clock.offset, live.clock.pinned = 0.0, None
    yield
    live.clock.offset, live.clock.pinned = 0.0, None


def legacy_client(harness, secret=None) -> AcsClient:
    return AcsClient(harness.access_key_id, secret or harness.secret, "cn-hangzhou", timeout=5, connect_timeout=2)


def mail_task_list(live) -> CommonRequest:
    request = CommonRequest(
        domain=f"127.0.0.1:{live.port}", version="2022-01-01", action_name="GetMailTaskList", product="quickbi-public"
    )
    request.set_protocol_type("http")
    request.set_method("POST")
    request.add_query_param("PageNum", "1")
    request.add_query_param("PageSize", "10")
    return request


def test_a_signed_call_is_served(live, harness):
    client = legacy_client(harness)
    try:
        body = json.loads(client.do_action_with_exception(mail_task_list(live)))
    finally:
        client.session.close()  # its kept-alive connection, which the SDK leaves to the garbage collector
    assert body["Success"] is True
    assert body["Result"]["Data"][0]["MailId"] == "2342526"


def manual_run(live) -> ManualRunMailTaskRequest:
    request = ManualRunMailTaskRequest()
    request.set_MailId("2342526")
    request.set_endpoint(f"127.0.0.1:{live.port}")
    request.set_protocol_type("http")
    return request


def test_a_wrong_secret_is_told_apart_from_a_signing_bug(live, harness):
    # The SDK compares its own string to sign with the one after the colon in the answer (it raised
    # IndexError where there was none): equal strings mean a wrong secret.
    with pytest.raises(ServerException) as caught:
        legacy_client(harness, secret="not-the-secret").do_action_with_exception(manual_run(live))
    assert (caught.value.get_error_code(), caught.value.get_http_status()) == ("InvalidAccessKeySecret", 400)


def test_a_wrong_secret_through_a_common_request_keeps_the_gateway_code(live, harness):
    with pytest.raises(ServerException) as caught:
        legacy_client(harness, secret="not-the-secret").do_action_with_exception(mail_task_list(live))
    assert (caught.value.get_error_code(), caught.value.get_http_status()) == ("SignatureDoesNotMatch", 400)
    assert "server string to sign is:POST&%2F&AccessKeyId%3D" in caught.value.get_error_msg()


def test_a_business_error_keeps_its_code(live, harness):
    with pytest.raises(ServerException) as caught:
        legacy_client(harness).do_action_with_exception(manual_run(live))
    assert caught.value.get_error_code() == "Mail.Not.Found"
