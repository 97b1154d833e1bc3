"""The Tencent Cloud API 3.0 response envelope (spec 1.7.5, gotcha 5.1).

Success and error alike are HTTP 200 with ``Content-Type: application/json`` and nothing after it:
the SDK turns any other status into ``ServerNetworkError`` and silently ignores ``Response.Error``
under ``application/json; charset=utf-8``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

CONTENT_TYPE = "application/json"


def new_request_id() -> str:
    return str(uuid.uuid4())


def success_response(payload: Mapping[str, Any], request_id: str) -> Response:
    """``{"Response": {**payload, "RequestId": request_id}}``; the door's RequestId wins."""
    return _render({**payload, "RequestId": request_id})


def error_response(code: str, message: str, request_id: str) -> Response:
    """``{"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}``."""
    return _render({"Error": {"Code": code, "Message": message}, "RequestId": request_id})


def _render(response: Mapping[str, Any]) -> Response:
    # ASCII-only JSON, so no client has to guess a charset that the header must not name.
    body = json.dumps({"Response": response}, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return Response(content=body.encode("ascii"), status_code=200, media_type=CONTENT_TYPE)
