"""The Alibaba Cloud RPC response envelope (spec 2.4.4).

Success: HTTP 200, a flat JSON object `{"RequestId", "Success": true, "Result"}`; `Result` is whatever the
action returns (an object, an array or a bool, spec 5.6). Error: HTTP 4xx/5xx — never 200, since the SDK
ignores `Code` and `Success` on a status below 400 (spec 5.1) — with
`{"RequestId", "HostId", "Code", "Message", "Recommend"}`.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from mailyard.web.aliyun.errors import AliyunError

REQUEST_ID_HEADER = "x-acs-request-id"
RETRY_AFTER_HEADER = "x-acs-retry-after"


def new_request_id() -> str:
    """An id shaped like Alibaba's (`8906582E-6722-409A-A6C4-0E7863B733A5`)."""
    return str(uuid.uuid4()).upper()


def success_body(result: Any, request_id: str) -> dict[str, Any]:
    return {"RequestId": request_id, "Success": True, "Result": result}


def error_body(error: AliyunError, request_id: str, host_id: str) -> dict[str, Any]:
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.code,
        "Message": error.message,
        "Recommend": error.recommend,
    }


def success_response(result: Any, request_id: str) -> Response:
    """HTTP 200 with the success envelope; raises if `result` is not JSON-serialisable."""
    return JSONResponse(success_body(result, request_id), headers={REQUEST_ID_HEADER: request_id})


def error_response(error: AliyunError, request_id: str, host_id: str) -> Response:
    """The error envelope with the error's 4xx/5xx status (and `x-acs-retry-after` when throttling)."""
    headers = {REQUEST_ID_HEADER: request_id}
    if error.retry_after_ms is not None:
        headers[RETRY_AFTER_HEADER] = str(error.retry_after_ms)
    return JSONResponse(error_body(error, request_id, host_id), status_code=error.http_status, headers=headers)
