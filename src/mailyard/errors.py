"""One exception root for Mailyard; every error carries a stable code and knows nothing of transports.

MailyardError
├── InvalidInput          bad field value or missing field (has `field`)
├── NotFound              no such thing in the caller's account
├── Forbidden             exists, but the caller may not see or change it
├── Conflict              the state forbids it (already running, name taken, list in use)
├── LimitExceeded         a documented limit (20,000 per upload, 50,000 per list, ...)
└── AuthenticationFailed  unknown key or wrong secret
"""

from __future__ import annotations


class MailyardError(Exception):
    """Root of every Mailyard error; `code` is stable and machine readable."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(MailyardError):
    """A field has a bad value, or a required one is missing."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFound(MailyardError):
    """The thing does not exist in the caller's account (or is not visible to the caller)."""

    code = "not_found"


class Forbidden(MailyardError):
    """The caller is authenticated but may not do this."""

    code = "forbidden"


class Conflict(MailyardError):
    """The current state does not allow the operation."""

    code = "conflict"


class LimitExceeded(MailyardError):
    """A documented limit was exceeded."""

    code = "limit_exceeded"


class AuthenticationFailed(MailyardError):
    """Unknown access key or wrong secret."""

    code = "authentication_failed"
