"""The submission door's one translation table: error codes of the core → SMTP replies (RFC 5321, RFC 3463).

A test checks that every code has a row. Codes no SMTP session can meet (tasks, lists, templates) answer as a
local error, so a client retries instead of dropping the message.
"""

from __future__ import annotations

from mailyard.errors import ErrorCode, MailyardError

E = ErrorCode
INVALID = "550 5.6.0"  # the message itself is unusable
NOT_ALLOWED = "550 5.7.1"  # this login may not send as this sender
LIMIT = "552 5.3.4"  # a size or count limit of the message
CONFIGURATION = "451 4.3.5"  # the server's settings are wrong (e.g. the trusted account is missing)
LOCAL = "451 4.3.0"  # anything else: try again later

REPLIES_BY_CODE: dict[ErrorCode, str] = {
    E.INVALID_INPUT: INVALID,
    E.NOT_FOUND: LOCAL,
    E.FORBIDDEN: NOT_ALLOWED,
    E.CONFLICT: LOCAL,
    E.LIMIT_EXCEEDED: LIMIT,
    E.AUTHENTICATION_FAILED: "535 5.7.8",
    E.NUL_CHARACTER: INVALID,
    E.ID_OUT_OF_RANGE: LOCAL,
    E.DATE_OUT_OF_RANGE: LOCAL,
    E.ACCOUNT_NOT_FOUND: CONFIGURATION,
    E.ADMIN_NOT_FOUND: CONFIGURATION,
    E.ADMIN_REQUIRED: LOCAL,
    E.USER_EXISTS: LOCAL,
    E.USER_NOT_FOUND: LOCAL,
    E.KEY_NOT_FOUND: LOCAL,
    E.DOMAIN_EXISTS: LOCAL,
    E.DOMAIN_NOT_FOUND: NOT_ALLOWED,
    E.DOMAIN_NOT_VERIFIED: NOT_ALLOWED,
    E.DOMAIN_HAS_SENDERS: LOCAL,
    E.ADDRESS_INVALID: "553 5.1.3",
    E.SENDER_EXISTS: LOCAL,
    E.SENDER_NOT_FOUND: NOT_ALLOWED,
    E.SENDER_INVALID: NOT_ALLOWED,
    E.TOO_MANY_SENDERS: LOCAL,
    E.TEMPLATE_NOT_FOUND: LOCAL,
    E.TEMPLATE_NOT_APPROVED: LOCAL,
    E.TEMPLATE_IN_USE: LOCAL,
    E.TEMPLATE_DATA_INVALID: LOCAL,
    E.LIST_NOT_FOUND: LOCAL,
    E.LIST_NAME_TAKEN: LOCAL,
    E.LIST_IN_USE: LOCAL,
    E.LIST_EMPTY: LOCAL,
    E.RECIPIENTS_MISSING: LOCAL,
    E.RECIPIENT_VARIABLES_INVALID: LOCAL,
    E.UPLOAD_TOO_LARGE: LOCAL,
    E.LIST_TOO_LARGE: LOCAL,
    E.SUBJECT_LENGTH: INVALID,
    E.REPLY_TO_INVALID: LOCAL,
    E.BEGIN_TIME_IN_PAST: LOCAL,
    E.TASK_NOT_FOUND: LOCAL,
    E.TASK_FORBIDDEN: LOCAL,
    E.TASK_PAUSED: LOCAL,
    E.TASK_CANCELLED: LOCAL,
    E.TASK_ALREADY_RUNNING: LOCAL,
    E.RUN_NOT_FOUND: LOCAL,
    E.GRANT_NOT_FOUND: LOCAL,
    E.DATE_RANGE_INVALID: LOCAL,
    E.ADDRESSES_REQUIRED: LOCAL,
    E.TOO_MANY_ADDRESSES: LOCAL,
    E.BLACKLIST_ENTRY_NOT_FOUND: LOCAL,
    E.SUPPRESSION_NOT_FOUND: LOCAL,
    E.BLACKLIST_ENTRY_EXISTS: LOCAL,
    E.UNSUBSCRIBE_OPTION_INVALID: LOCAL,
    E.UNSUBSCRIBE_CONFIG_EXISTS: LOCAL,
    E.UNSUBSCRIBE_CONFIG_NOT_FOUND: LOCAL,
    E.UNSUBSCRIBE_LINK_INVALID: LOCAL,
    E.TOO_MANY_RECIPIENTS: "452 4.5.3",
    E.TOO_MANY_CC: LOCAL,
    E.TOO_MANY_BCC: LOCAL,
    E.BCC_OVERLAPS: LOCAL,
    E.NO_RECIPIENT: "554 5.5.1",
    E.TOO_MANY_ATTACHMENTS: LIMIT,
    E.ATTACHMENTS_TOO_LARGE: "552 5.3.4",
    E.ATTACHMENT_NAME: INVALID,
    E.DATE_NOT_SUPPORTED: LOCAL,
    E.OUTBOX_MESSAGE_NOT_FOUND: LOCAL,
    E.LOGIN_THROTTLED: "454 4.7.0",
    E.SENDER_NOT_ALLOWED: NOT_ALLOWED,
    E.MESSAGE_INVALID: INVALID,
    E.QUOTA_EXHAUSTED: "452 4.3.1",
    E.RATE_LIMITED: "451 4.7.1",
    E.DOMAIN_FORBIDDEN: LOCAL,
    E.SENDER_FORBIDDEN: NOT_ALLOWED,
    E.DOMAIN_IN_USE: LOCAL,
    E.SENDER_IN_USE: LOCAL,
    E.TEMPLATE_FORBIDDEN: LOCAL,
    E.LIST_FORBIDDEN: LOCAL,
    E.TRACKING_TOKEN_INVALID: LOCAL,
    E.WEBHOOK_NOT_FOUND: LOCAL,
    E.WEBHOOK_URL_REFUSED: LOCAL,
    E.SIGN_IN_FAILED: "535 5.7.8",
    E.SIGN_IN_THROTTLED: "454 4.7.0",
    E.SESSION_ENDED: LOCAL,
    E.PASSWORD_INVALID: LOCAL,
    E.CROSS_SITE_REQUEST: LOCAL,
}

AUTHENTICATION_REQUIRED = "530 5.7.0 Authentication required"
TLS_REQUIRED = "530 5.7.0 Must issue a STARTTLS command first"
SIGNED_IN = "235 2.7.0 Authentication successful"
MALFORMED_CREDENTIALS = "501 5.5.2 Cannot decode the credentials"


def reply_for(error: MailyardError) -> str:
    """The reply for a refused command: its code, then the error's text on one line."""
    text = " ".join(error.message.split())[:300] or "refused"
    return f"{REPLIES_BY_CODE.get(error.code, LOCAL)} {text}"


def queued(message_id: str) -> str:
    return f"250 2.0.0 queued as {message_id}"
