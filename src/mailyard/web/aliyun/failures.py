"""Core errors → Quick BI business errors, in one table (all HTTP 400 per the API reference).

``ERRORS_BY_CODE`` maps every ``ErrorCode`` to the Quick BI ``(Code, Message)``, or to ``INVALID``: the
documented ``Invalid.Parameter.Error`` with the core error's own message. A test fails when a code has no row
here.
"""

from __future__ import annotations

from mailyard.errors import ErrorCode, MailyardError
from mailyard.web.aliyun.errors import AliyunError, invalid_parameter

E = ErrorCode
NOT_FOUND = ("Mail.Not.Found", "The Subscription Task Does Not Exist.")
FORBIDDEN = ("Mail.Forbidden.Access", "Forbidden Access On This Operation.")
NO_FUNCTION = ("UserRoleConfig.NotContain.Function", "Your role does not include this function.")
# The documented business error for a bad parameter, with the core error's own message.
INVALID = None

ERRORS_BY_CODE: dict[ErrorCode, tuple[str, str] | None] = {
    # one per kind of error
    E.INVALID_INPUT: INVALID,
    E.NOT_FOUND: INVALID,
    E.FORBIDDEN: FORBIDDEN,
    E.CONFLICT: INVALID,
    E.LIMIT_EXCEEDED: INVALID,
    E.AUTHENTICATION_FAILED: FORBIDDEN,
    # requests
    E.NUL_CHARACTER: INVALID,
    E.ID_OUT_OF_RANGE: INVALID,
    E.DATE_OUT_OF_RANGE: INVALID,
    # accounts, users and access keys
    E.ACCOUNT_NOT_FOUND: INVALID,
    E.ADMIN_NOT_FOUND: INVALID,
    E.ADMIN_REQUIRED: NO_FUNCTION,
    E.USER_EXISTS: INVALID,
    E.USER_NOT_FOUND: INVALID,
    E.LAST_ADMIN: INVALID,
    E.KEY_NOT_FOUND: INVALID,
    # sending domains and sender addresses
    E.DOMAIN_EXISTS: INVALID,
    E.DOMAIN_NOT_FOUND: INVALID,
    E.DOMAIN_NOT_VERIFIED: INVALID,
    E.DOMAIN_HAS_SENDERS: INVALID,
    E.ADDRESS_INVALID: INVALID,
    E.SENDER_EXISTS: INVALID,
    E.SENDER_NOT_FOUND: INVALID,
    E.SENDER_INVALID: INVALID,
    E.DOMAIN_FORBIDDEN: FORBIDDEN,
    E.SENDER_FORBIDDEN: FORBIDDEN,
    E.DOMAIN_IN_USE: INVALID,
    E.SENDER_IN_USE: INVALID,
    E.TOO_MANY_SENDERS: INVALID,
    # templates and template data
    E.TEMPLATE_NOT_FOUND: INVALID,
    E.TEMPLATE_NOT_APPROVED: INVALID,
    E.TEMPLATE_IN_USE: INVALID,
    E.TEMPLATE_FORBIDDEN: FORBIDDEN,
    E.TEMPLATE_DATA_INVALID: INVALID,
    E.TEMPLATE_NAME_EMPTY: INVALID,
    E.TEMPLATE_NAME_TOO_LONG: INVALID,
    E.TEMPLATE_CONTENT_EMPTY: INVALID,
    E.TEMPLATE_CONTENT_TOO_LARGE: INVALID,
    # recipient lists
    E.LIST_NOT_FOUND: INVALID,
    E.LIST_NAME_TAKEN: INVALID,
    E.LIST_NAME_INVALID: INVALID,
    E.LIST_DESCRIPTION_TOO_LONG: INVALID,
    E.LIST_IN_USE: INVALID,
    E.LIST_FORBIDDEN: FORBIDDEN,
    E.LIST_EMPTY: INVALID,
    E.RECIPIENTS_MISSING: INVALID,
    E.RECIPIENT_VARIABLES_INVALID: INVALID,
    E.UPLOAD_TOO_LARGE: INVALID,
    E.LIST_TOO_LARGE: INVALID,
    # tasks and runs
    E.SUBJECT_LENGTH: INVALID,
    E.REPLY_TO_INVALID: INVALID,
    E.BEGIN_TIME_IN_PAST: INVALID,
    E.TASK_NOT_FOUND: NOT_FOUND,
    E.TASK_FORBIDDEN: FORBIDDEN,
    E.TASK_PAUSED: ("Timer.Schedule.Task", "The mail task is paused; resume it before running it."),
    E.TASK_CANCELLED: ("Timer.Schedule.Task", "The mail task was cancelled and cannot run again."),
    E.TASK_ALREADY_RUNNING: ("MailTask.Already.Running", "The Mail Task Is Already Running."),
    E.RUN_NOT_FOUND: NOT_FOUND,
    E.GRANT_NOT_FOUND: INVALID,
    # suppressions and the custom blacklist
    E.DATE_RANGE_INVALID: INVALID,
    E.ADDRESSES_REQUIRED: INVALID,
    E.TOO_MANY_ADDRESSES: INVALID,
    E.BLACKLIST_ENTRY_NOT_FOUND: INVALID,
    E.SUPPRESSION_NOT_FOUND: INVALID,
    E.BLACKLIST_ENTRY_EXISTS: INVALID,
    # unsubscribing
    E.UNSUBSCRIBE_OPTION_INVALID: INVALID,
    E.UNSUBSCRIBE_CONFIG_EXISTS: INVALID,
    E.UNSUBSCRIBE_CONFIG_NOT_FOUND: INVALID,
    E.UNSUBSCRIBE_LINK_INVALID: INVALID,
    E.TRACKING_TOKEN_INVALID: INVALID,
    E.WEBHOOK_NOT_FOUND: INVALID,
    E.WEBHOOK_URL_REFUSED: INVALID,
    # single sends
    E.TOO_MANY_RECIPIENTS: INVALID,
    E.TOO_MANY_CC: INVALID,
    E.TOO_MANY_BCC: INVALID,
    E.BCC_OVERLAPS: INVALID,
    E.NO_RECIPIENT: INVALID,
    E.TOO_MANY_ATTACHMENTS: INVALID,
    E.ATTACHMENTS_TOO_LARGE: INVALID,
    E.ATTACHMENT_NAME: INVALID,
    E.DATE_NOT_SUPPORTED: INVALID,
    # the outbox
    E.OUTBOX_MESSAGE_NOT_FOUND: INVALID,
    # SMTP submission (not reachable through this door; kept complete)
    E.LOGIN_THROTTLED: FORBIDDEN,
    E.SENDER_NOT_ALLOWED: FORBIDDEN,
    E.MESSAGE_INVALID: INVALID,
    E.QUOTA_EXHAUSTED: INVALID,
    E.RATE_LIMITED: INVALID,
    # dashboard sign-in and sessions (never raised behind this door)
    E.SIGN_IN_FAILED: FORBIDDEN,
    E.SIGN_IN_THROTTLED: FORBIDDEN,
    E.SESSION_ENDED: FORBIDDEN,
    E.PASSWORD_INVALID: INVALID,
    E.CROSS_SITE_REQUEST: FORBIDDEN,
}


def translate_error(error: Exception) -> AliyunError | None:
    """The Quick BI error for a core error; ``None`` for anything else (the door answers InternalError)."""
    if not isinstance(error, MailyardError):
        return None
    translated = ERRORS_BY_CODE[error.code]
    if translated is None:
        return invalid_parameter(error.message)
    return AliyunError(*translated)
