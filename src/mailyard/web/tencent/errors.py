"""The one exception the Tencent front door turns into an error envelope (spec 1.7.5)."""

from __future__ import annotations


class TencentError(Exception):
    """An error with a Tencent Cloud API 3.0 code, answered as ``Response.Error``.

    Action handlers raise it (or a subclass) with a code from spec 1.6.1 / 1.6.2; the door
    renders ``{"Response": {"Error": {"Code": code, "Message": message}, "RequestId": ...}}``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
