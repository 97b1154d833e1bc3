"""The envelope: always 200, Content-Type exactly application/json, RequestId a uuid4 (1.7.5)."""

from __future__ import annotations

import json
import uuid

import pytest

from mailyard.web.tencent.envelope import error_response, new_request_id, success_response

pytestmark = pytest.mark.timeout(10)


def test_success_envelope_bytes() -> None:
    response = success_response({"TotalCount": 2, "Data": []}, "5d2bb3ce-6d9f-4973-a4a2-07a7130c2875")
    assert response.status_code == 200
    assert (b"content-type", b"application/json") in response.raw_headers
    assert response.body == (
        b'{"Response":{"TotalCount":2,"Data":[],"RequestId":"5d2bb3ce-6d9f-4973-a4a2-07a7130c2875"}}'
    )


def test_error_envelope_is_ascii_json_with_code_message_and_request_id() -> None:
    response = error_response("FailedOperation.ExceedSendLimit", "超出当日总量发送限制。", "rid")
    assert response.status_code == 200
    assert [value for name, value in response.raw_headers if name == b"content-type"] == [b"application/json"]
    response.body.decode("ascii")
    assert json.loads(response.body) == {
        "Response": {
            "Error": {"Code": "FailedOperation.ExceedSendLimit", "Message": "超出当日总量发送限制。"},
            "RequestId": "rid",
        }
    }


def test_the_door_request_id_wins_over_the_payload() -> None:
    body = json.loads(success_response({"RequestId": "spoofed"}, "real").body)
    assert body == {"Response": {"RequestId": "real"}}


def test_request_ids_are_uuid4() -> None:
    first, second = new_request_id(), new_request_id()
    assert first != second
    assert uuid.UUID(first).version == 4


def test_unserialisable_payload_raises_for_the_door_to_report() -> None:
    with pytest.raises(ValueError):
        success_response({"Bad": float("nan")}, "rid")
