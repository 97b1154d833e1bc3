"""One exception root for Mailyard; every error carries a stable code and knows nothing of transports.

MailyardError
├── InvalidInput          bad field value or missing field (has `field`)
├── NotFound              no such thing in the caller's account
├── Forbidden             exists, but the caller may not see or change it
├── Conflict              the state forbids it (already running, name taken, list in use)
├── LimitExceeded         a documented limit (20,000 per upload, 50,000 per list, ...)
│   └── SignInThrottled   too many failed dashboard sign-ins lately
└── AuthenticationFailed  unknown key or wrong secret

Every error carries an `ErrorCode`. Each front door translates every code into its own protocol's error in
one table, and a test fails when a code has no row in a door's table: add the member here, then a row in
`web/tencent/failures.py`, `web/aliyun/failures.py` and `web/api/errors.py`.
"""

from __future__ import annotations

import enum
from typing import ClassVar


class ErrorCode(enum.StrEnum):
    """The stable, machine-readable codes of core errors; the native API shows the values as they are."""

    # one per kind of error, for a rule no caller needs to tell apart from its siblings
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    LIMIT_EXCEEDED = "limit_exceeded"
    AUTHENTICATION_FAILED = "authentication_failed"
    # requests
    NUL_CHARACTER = "nul_character"
    ID_OUT_OF_RANGE = "id_out_of_range"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    # accounts, users and access keys
    ACCOUNT_NOT_FOUND = "account_not_found"
    ADMIN_NOT_FOUND = "admin_not_found"
    ADMIN_REQUIRED = "admin_required"
    USER_EXISTS = "user_exists"
    USER_NOT_FOUND = "user_not_found"
    LAST_ADMIN = "last_admin"  #: the change would leave the account without an admin
    KEY_NOT_FOUND = "key_not_found"
    # sending domains and sender addresses
    DOMAIN_EXISTS = "domain_exists"
    DOMAIN_NOT_FOUND = "domain_not_found"
    DOMAIN_NOT_VERIFIED = "domain_not_verified"
    DOMAIN_HAS_SENDERS = "domain_has_senders"
    ADDRESS_INVALID = "address_invalid"
    SENDER_EXISTS = "sender_exists"
    SENDER_NOT_FOUND = "sender_not_found"
    SENDER_INVALID = "sender_invalid"
    TOO_MANY_SENDERS = "too_many_senders"
    DOMAIN_FORBIDDEN = "domain_forbidden"  #: only an admin or its creator changes or deletes it
    SENDER_FORBIDDEN = "sender_forbidden"
    DOMAIN_IN_USE = "domain_in_use"  #: tasks that may still send from it (named in the message)
    SENDER_IN_USE = "sender_in_use"
    # templates and template data
    TEMPLATE_NOT_FOUND = "template_not_found"
    TEMPLATE_NOT_APPROVED = "template_not_approved"
    TEMPLATE_IN_USE = "template_in_use"
    TEMPLATE_FORBIDDEN = "template_forbidden"
    TEMPLATE_DATA_INVALID = "template_data_invalid"
    TEMPLATE_NAME_EMPTY = "template_name_empty"
    TEMPLATE_NAME_TOO_LONG = "template_name_too_long"
    TEMPLATE_CONTENT_EMPTY = "template_content_empty"
    TEMPLATE_CONTENT_TOO_LARGE = "template_content_too_large"
    # recipient lists
    LIST_NOT_FOUND = "list_not_found"
    LIST_NAME_TAKEN = "list_name_taken"
    LIST_NAME_INVALID = "list_name_invalid"
    LIST_DESCRIPTION_TOO_LONG = "list_description_too_long"
    LIST_IN_USE = "list_in_use"
    LIST_FORBIDDEN = "list_forbidden"
    LIST_EMPTY = "list_empty"
    RECIPIENTS_MISSING = "recipients_missing"
    RECIPIENT_VARIABLES_INVALID = "recipient_variables_invalid"
    UPLOAD_TOO_LARGE = "upload_too_large"
    LIST_TOO_LARGE = "list_too_large"
    # tasks and runs
    SUBJECT_LENGTH = "subject_length"
    REPLY_TO_INVALID = "reply_to_invalid"
    BEGIN_TIME_IN_PAST = "begin_time_in_past"
    TASK_NOT_FOUND = "task_not_found"
    TASK_FORBIDDEN = "task_forbidden"
    TASK_PAUSED = "task_paused"
    TASK_CANCELLED = "task_cancelled"
    TASK_ALREADY_RUNNING = "task_already_running"
    RUN_NOT_FOUND = "run_not_found"
    GRANT_NOT_FOUND = "grant_not_found"
    # suppressions and the custom blacklist
    DATE_RANGE_INVALID = "date_range_invalid"
    ADDRESSES_REQUIRED = "addresses_required"
    TOO_MANY_ADDRESSES = "too_many_addresses"
    BLACKLIST_ENTRY_NOT_FOUND = "blacklist_entry_not_found"
    SUPPRESSION_NOT_FOUND = "suppression_not_found"
    BLACKLIST_ENTRY_EXISTS = "blacklist_entry_exists"
    # unsubscribing
    UNSUBSCRIBE_OPTION_INVALID = "unsubscribe_option_invalid"
    UNSUBSCRIBE_CONFIG_EXISTS = "unsubscribe_config_exists"
    UNSUBSCRIBE_CONFIG_NOT_FOUND = "unsubscribe_config_not_found"
    UNSUBSCRIBE_LINK_INVALID = "unsubscribe_link_invalid"
    TRACKING_TOKEN_INVALID = "tracking_token_invalid"
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    WEBHOOK_URL_REFUSED = "webhook_url_refused"
    # single sends
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    TOO_MANY_CC = "too_many_cc"
    TOO_MANY_BCC = "too_many_bcc"
    BCC_OVERLAPS = "bcc_overlaps"
    NO_RECIPIENT = "no_recipient"
    TOO_MANY_ATTACHMENTS = "too_many_attachments"
    ATTACHMENTS_TOO_LARGE = "attachments_too_large"
    ATTACHMENT_NAME = "attachment_name"
    DATE_NOT_SUPPORTED = "date_not_supported"
    # the outbox
    OUTBOX_MESSAGE_NOT_FOUND = "outbox_message_not_found"
    # SMTP submission
    LOGIN_THROTTLED = "login_throttled"
    SENDER_NOT_ALLOWED = "sender_not_allowed"
    MESSAGE_INVALID = "message_invalid"
    QUOTA_EXHAUSTED = "quota_exhausted"
    RATE_LIMITED = "rate_limited"
    # dashboard sign-in and sessions
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    SESSION_ENDED = "session_ended"
    PASSWORD_INVALID = "password_invalid"
    CROSS_SITE_REQUEST = "cross_site_request"


class MailyardError(Exception):
    """Root of every Mailyard error; `code` is stable and machine readable (the kind's own code by default)."""

    default_code: ClassVar[ErrorCode] = ErrorCode.INVALID_INPUT

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code: ErrorCode = code if code is not None else self.default_code


class InvalidInput(MailyardError):
    """A field has a bad value, or a required one is missing."""

    default_code = ErrorCode.INVALID_INPUT

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class NotFound(MailyardError):
    """The thing does not exist in the caller's account (or is not visible to the caller)."""

    default_code = ErrorCode.NOT_FOUND


class Forbidden(MailyardError):
    """The caller is authenticated but may not do this."""

    default_code = ErrorCode.FORBIDDEN


class Conflict(MailyardError):
    """The current state does not allow the operation."""

    default_code = ErrorCode.CONFLICT


class LimitExceeded(MailyardError):
    """A documented limit was exceeded."""

    default_code = ErrorCode.LIMIT_EXCEEDED


class SignInThrottled(LimitExceeded):
    """Too many failed sign-ins for a user or a client address; attempts are refused for a while."""

    default_code = ErrorCode.SIGN_IN_THROTTLED

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class AuthenticationFailed(MailyardError):
    """Unknown access key or wrong secret."""

    default_code = ErrorCode.AUTHENTICATION_FAILED
