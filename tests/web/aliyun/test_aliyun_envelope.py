"""The success and error envelopes (spec 2.4.4)."""

from __future__ import annotations

import json
import re

import pytest

from mailyard.web.aliyun.envelope import error_response, new_request_id, success_response
from mailyard.web.aliyun.errors import AliyunError


@pytest.mark.parametrize("result", [{"PageNum": 1, "Data": []}, [{"mailId": "1", "taskId": 2}], True, None])
def test_success_envelope(result):
    response = success_response(result, "REQ-1")
    assert response.status_code == 200
    assert json.loads(response.body) == {"RequestId": "REQ-1", "Success": True, "Result": result}
    assert response.headers["x-acs-request-id"] == "REQ-1"


def test_error_envelope():
    error = AliyunError("Mail.Not.Found", "The Subscription Task Does Not Exist.", recommend="Check MailId.")
    response = error_response(error, "REQ-2", "127.0.0.1:18765")
    assert response.status_code == 400
    assert json.loads(response.body) == {
        "RequestId": "REQ-2",
        "HostId": "127.0.0.1:18765",
        "Code": "Mail.Not.Found",
        "Message": "The Subscription Task Does Not Exist.",
        "Recommend": "Check MailId.",
    }
    assert "x-acs-retry-after" not in response.headers


def test_throttling_error_carries_retry_after():
    error = AliyunError("Throttling.User", "Request was denied due to user flow control.", retry_after_ms=1500)
    response = error_response(error, "REQ-3", "h")
    assert response.headers["x-acs-retry-after"] == "1500"


@pytest.mark.parametrize("status", [200, 204, 302, 399, 600])
def test_an_error_is_never_answered_below_400(status):
    # A status < 400 would make the SDK report success whatever the body says (spec 5.1).
    with pytest.raises(ValueError):
        AliyunError("X", "y", status)


def test_request_ids_look_like_alibaba_ones():
    first, second = new_request_id(), new_request_id()
    assert first != second
    assert re.fullmatch(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}", first)
