"""Errors of the Alibaba Cloud RPC front door, as the wire sees them.

An `AliyunError` carries the `Code`, `Message` and HTTP status of the error envelope (spec 2.4.4). Action
handlers raise it for business errors (spec 2.2, e.g. `Mail.Not.Found`); the door raises it for gateway errors
(spec 2.2, "Gateway-level errors"). The status is never below 400: the SDK treats any status < 400 as success,
whatever the body says (spec 5.1).
"""

from __future__ import annotations


class AliyunError(Exception):
    """An error answered with the Alibaba error envelope.

    `retry_after_ms`, when set, is sent as the `x-acs-retry-after` header, which makes the SDK raise
    `ThrottlingException` with that back-off (spec 2.4.4).
    """

    def __init__(
        self,
        code: str,
        message: str,
        http_status: int = 400,
        *,
        recommend: str = "",
        retry_after_ms: int | None = None,
    ) -> None:
        if not 400 <= http_status <= 599:
            raise ValueError(f"an error status must be 4xx or 5xx, not {http_status}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.recommend = recommend
        self.retry_after_ms = retry_after_ms


def missing_parameter(name: str) -> AliyunError:
    """The gateway's error for an absent mandatory parameter."""
    return AliyunError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def invalid_parameter(detail: str) -> AliyunError:
    """The documented business error for an unreadable parameter (spec 2.2, `Invalid.Parameter.Error`)."""
    return AliyunError("Invalid.Parameter.Error", f"The parameter is invalid:{detail}")


def internal_error() -> AliyunError:
    """What the caller sees for any unexpected failure; the details go to the log, never on the wire."""
    return AliyunError(
        "InternalError",
        "The request processing has failed due to some unknown error, exception or failure.",
        500,
    )


def service_unavailable() -> AliyunError:
    """A dependency of the door (e.g. the nonce store) is down; the request was not served."""
    return AliyunError("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503)
