"""The Tencent Cloud API 3.0 response envelope (spec 1.7.5, gotcha 5.1).

Success and error alike are HTTP 200 with ``Content-Type: application/json`` and nothing after it:
the SDK turns any other status into ``ServerNetworkError`` and silently ignores ``Response.Error``
under ``application/json; charset=utf-8``. Bodies are ASCII-only JSON, so no client has to guess a
charset that the header must not name.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

CONTENT_TYPE = "application/json"
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@dataclass(frozen=True)
class RawJson:
    """JSON text rendered elsewhere (a page of documents), embedded as it is; only as a top-level value of a
    payload."""

    text: str


def new_request_id() -> str:
    return str(uuid.uuid4())


def success_response(payload: Mapping[str, Any], request_id: str) -> Response:
    """``{"Response": {**payload, "RequestId": request_id}}``; the door's RequestId wins."""
    return _render({**payload, "RequestId": request_id})


def error_response(code: str, message: str, request_id: str) -> Response:
    """``{"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}``."""
    return _render({"Error": {"Code": code, "Message": message}, "RequestId": request_id})


def _render(response: Mapping[str, Any]) -> Response:
    members = ",".join(f"{_json(key)}:{_member_json(value)}" for key, value in response.items())
    body = '{"Response":{' + members + "}}"
    return Response(content=body.encode("ascii"), status_code=200, media_type=CONTENT_TYPE)


def _member_json(value: Any) -> str:
    if isinstance(value, RawJson):
        return _ascii_only(value.text)
    return _json(value)


def _json(value: Any) -> str:
    # Raises ValueError for NaN and TypeError for what JSON cannot hold: the door answers InternalError.
    return json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def _ascii_only(text: str) -> str:
    """JSON text with each non-ASCII character escaped, as ``ensure_ascii`` would (surrogate pairs beyond the
    Basic Multilingual Plane); they can only stand inside strings, so escaping them anywhere is exact."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda run: json.dumps(run.group())[1:-1], text)
