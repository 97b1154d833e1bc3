"""Core errors → Tencent Cloud SES error codes (spec 1.6.1, 1.6.2), in one table.

``ERRORS_BY_CODE`` maps every ``ErrorCode`` to the Tencent ``(Code, Message)``; a message of ``None`` keeps
the core error's own. A test fails when a code has no row here.
"""

from __future__ import annotations

from mailyard.errors import ErrorCode, MailyardError
from mailyard.web.tencent.errors import TencentError

E = ErrorCode
OWN_MESSAGE = None

ERRORS_BY_CODE: dict[ErrorCode, tuple[str, str | None]] = {
    # one per kind of error
    E.INVALID_INPUT: ("InvalidParameterValue", OWN_MESSAGE),
    E.NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    E.FORBIDDEN: ("UnauthorizedOperation", OWN_MESSAGE),
    E.CONFLICT: ("OperationDenied", OWN_MESSAGE),
    E.LIMIT_EXCEEDED: ("LimitExceeded", OWN_MESSAGE),
    E.AUTHENTICATION_FAILED: ("AuthFailure", OWN_MESSAGE),
    # requests
    E.NUL_CHARACTER: ("InvalidParameter", "Parameter values must not contain NUL characters."),
    E.ID_OUT_OF_RANGE: ("InvalidParameterValue", OWN_MESSAGE),
    E.DATE_OUT_OF_RANGE: ("InvalidParameterValue", OWN_MESSAGE),
    # accounts, users and access keys
    E.ACCOUNT_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    E.ADMIN_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    E.ADMIN_REQUIRED: ("UnauthorizedOperation", "Only an admin of the account may do this."),
    E.USER_EXISTS: ("OperationDenied", OWN_MESSAGE),
    E.USER_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    E.LAST_ADMIN: ("OperationDenied", OWN_MESSAGE),
    E.KEY_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    # sending domains and sender addresses
    E.DOMAIN_EXISTS: ("InvalidParameterValue.RepeatCreation", "The domain has already been created."),
    E.DOMAIN_NOT_FOUND: ("InvalidParameterValue.NotExistDomain", "The domain has not been created yet."),
    E.DOMAIN_NOT_VERIFIED: ("OperationDenied.DomainNotVerified", "The domain has not passed verification."),
    E.DOMAIN_HAS_SENDERS: (
        "OperationDenied.SenderWithDomainIsNotEmpty",
        "The domain still has sender addresses; delete them first.",
    ),
    E.ADDRESS_INVALID: ("InvalidParameterValue.IllegalEmailAddress", "The email address is not valid."),
    E.SENDER_EXISTS: ("InvalidParameterValue.RepeatEmailAddress", "The sender address has already been created."),
    E.SENDER_NOT_FOUND: ("InvalidParameterValue.NoSuchSender", "You have no such sender address."),
    E.SENDER_INVALID: ("FailedOperation.IncorrectSender", "The sender format is incorrect."),
    E.TOO_MANY_SENDERS: ("OperationDenied.ExceedSenderLimit", "The maximum number of sender addresses is reached."),
    E.DOMAIN_FORBIDDEN: ("UnauthorizedOperation", OWN_MESSAGE),
    E.SENDER_FORBIDDEN: ("UnauthorizedOperation", OWN_MESSAGE),
    E.DOMAIN_IN_USE: ("OperationDenied.NotAllowDelete", OWN_MESSAGE),  # names the tasks
    E.SENDER_IN_USE: ("ResourceInUse", OWN_MESSAGE),
    # templates and template data
    E.TEMPLATE_NOT_FOUND: ("InvalidParameterValue.TemplateNotExist", "The template does not exist."),
    E.TEMPLATE_NOT_APPROVED: (
        "OperationDenied.TemplateStatusError",
        "The template does not exist or has not been approved.",
    ),
    E.TEMPLATE_IN_USE: ("ResourceInUse", "The template is used by a send task."),
    E.TEMPLATE_FORBIDDEN: ("UnauthorizedOperation", OWN_MESSAGE),
    E.TEMPLATE_DATA_INVALID: ("FailedOperation.WrongContentJson", OWN_MESSAGE),
    E.TEMPLATE_NAME_EMPTY: ("InvalidParameterValue.TemplateNameIsNULL", "The template name cannot be empty."),
    E.TEMPLATE_NAME_TOO_LONG: ("InvalidParameterValue.TemplateNameIllegal", OWN_MESSAGE),
    E.TEMPLATE_CONTENT_EMPTY: ("InvalidParameterValue.TemplateContentIsNULL", "TemplateContent needs Text or Html."),
    E.TEMPLATE_CONTENT_TOO_LARGE: ("FailedOperation.TemplateContentToolarge", "The template content is too large."),
    # recipient lists
    E.LIST_NOT_FOUND: ("OperationDenied.ReceiverNotExist", "The recipient list does not exist."),
    E.LIST_NAME_TAKEN: ("InvalidParameterValue.RepeatReceiverName", "A recipient list with this name exists."),
    E.LIST_NAME_INVALID: ("InvalidParameterValue.ReceiverNameIllegal", OWN_MESSAGE),
    E.LIST_DESCRIPTION_TOO_LONG: ("InvalidParameterValue.ReceiverDescIllegal", OWN_MESSAGE),
    E.LIST_IN_USE: ("ResourceInUse", "The recipient list is used by a send task."),
    E.LIST_FORBIDDEN: ("UnauthorizedOperation", OWN_MESSAGE),
    E.LIST_EMPTY: ("OperationDenied.ReceiverStatusError", "The recipient list is empty or not uploaded."),
    E.RECIPIENTS_MISSING: ("MissingParameter.EmailsNecessary", "Recipient addresses are required."),
    E.RECIPIENT_VARIABLES_INVALID: ("InvalidParameterValue.TemplateDataError", OWN_MESSAGE),
    # the limits are settings (MAILYARD_TENCENT_*_MAX_RECIPIENTS): the service's message quotes them
    E.UPLOAD_TOO_LARGE: ("LimitExceeded.ReceiverDetailRequestLimit", OWN_MESSAGE),
    E.LIST_TOO_LARGE: ("LimitExceeded.ReceiverDetailCountLimit", OWN_MESSAGE),
    # tasks and runs
    E.SUBJECT_LENGTH: ("InvalidParameterValue.SubjectLengthError", "The subject must be 1 to 100 characters."),
    E.REPLY_TO_INVALID: ("InvalidParameterValue.IllegalEmailAddress", "ReplyToAddresses is not a valid address."),
    E.BEGIN_TIME_IN_PAST: ("InvalidParameterValue.BeginTimeBeforeNow", "The begin time cannot be before now."),
    E.TASK_NOT_FOUND: ("ResourceNotFound", "The send task does not exist."),
    E.TASK_FORBIDDEN: ("UnauthorizedOperation", "This send task belongs to another user."),
    E.TASK_PAUSED: ("OperationDenied", OWN_MESSAGE),
    E.TASK_CANCELLED: ("OperationDenied", OWN_MESSAGE),
    E.TASK_ALREADY_RUNNING: ("OperationDenied", OWN_MESSAGE),
    E.RUN_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    E.GRANT_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    # suppressions and the custom blacklist
    E.DATE_RANGE_INVALID: ("InvalidParameterValue.WrongDate", "The start date is after the end date."),
    E.ADDRESSES_REQUIRED: ("MissingParameter.EmailsNecessary", "Email addresses are required."),
    E.TOO_MANY_ADDRESSES: ("LimitExceeded.ReceiverDetailRequestLimit", OWN_MESSAGE),
    E.BLACKLIST_ENTRY_NOT_FOUND: ("ResourceNotFound", "The custom blacklist entry does not exist."),
    E.SUPPRESSION_NOT_FOUND: ("ResourceNotFound", "The address is not on the blacklist."),
    E.BLACKLIST_ENTRY_EXISTS: ("FailedOperation.EmailAddrInBlacklist", "The address is on the blacklist already."),
    # unsubscribing
    E.UNSUBSCRIBE_OPTION_INVALID: ("InvalidParameterValue", 'The unsubscribe option must be one of "0" to "12".'),
    E.UNSUBSCRIBE_CONFIG_EXISTS: ("ResourceInUse", "The sender address has an unsubscribe configuration already."),
    E.UNSUBSCRIBE_CONFIG_NOT_FOUND: ("ResourceNotFound", "The sender address has no unsubscribe configuration."),
    E.UNSUBSCRIBE_LINK_INVALID: ("ResourceNotFound", OWN_MESSAGE),
    E.TRACKING_TOKEN_INVALID: ("ResourceNotFound", OWN_MESSAGE),
    E.WEBHOOK_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    E.WEBHOOK_URL_REFUSED: ("InvalidParameterValue", OWN_MESSAGE),
    # single sends (SendEmail, GetSendEmailStatus)
    E.TOO_MANY_RECIPIENTS: ("FailedOperation.TooManyRecipients", "At most 50 Destination addresses."),
    E.TOO_MANY_CC: ("FailedOperation.TooManyRecipients", "At most 20 Cc addresses."),
    E.TOO_MANY_BCC: ("FailedOperation.TooManyRecipients", "At most 20 Bcc addresses."),
    E.BCC_OVERLAPS: ("InvalidParameterValue", "Bcc and Destination must not share an address."),
    E.NO_RECIPIENT: ("MissingParameter.EmailsNecessary", "Give at least one Destination, Cc or Bcc address."),
    E.TOO_MANY_ATTACHMENTS: ("FailedOperation.TooManyAttachments", "At most 10 attachments per message."),
    E.ATTACHMENTS_TOO_LARGE: ("FailedOperation.AttachContentToolarge", "Attachments are limited to 4 MB in total."),
    E.ATTACHMENT_NAME: ("FailedOperation.InvalidAttachName", "The attachment name is not supported."),
    E.DATE_NOT_SUPPORTED: ("FailedOperation.NotSupportDate", "Only the last 30 days can be queried."),
    # the outbox
    E.OUTBOX_MESSAGE_NOT_FOUND: ("ResourceNotFound", OWN_MESSAGE),
    # SMTP submission (not reachable through this door; kept complete)
    E.LOGIN_THROTTLED: ("RequestLimitExceeded", OWN_MESSAGE),
    E.SENDER_NOT_ALLOWED: ("UnauthorizedOperation", OWN_MESSAGE),
    E.MESSAGE_INVALID: ("InvalidParameterValue", OWN_MESSAGE),
    E.QUOTA_EXHAUSTED: ("LimitExceeded", OWN_MESSAGE),
    E.RATE_LIMITED: ("RequestLimitExceeded", OWN_MESSAGE),
    # dashboard sign-in and sessions (never raised behind this door)
    E.SIGN_IN_FAILED: ("AuthFailure", OWN_MESSAGE),
    E.SIGN_IN_THROTTLED: ("RequestLimitExceeded", OWN_MESSAGE),
    E.SESSION_ENDED: ("AuthFailure", OWN_MESSAGE),
    E.PASSWORD_INVALID: ("InvalidParameterValue", OWN_MESSAGE),
    E.CROSS_SITE_REQUEST: ("UnauthorizedOperation", OWN_MESSAGE),
}


def translate_error(error: Exception) -> TencentError | None:
    """The Tencent error for a core error; ``None`` for anything else (the door answers InternalError)."""
    if not isinstance(error, MailyardError):
        return None
    code, message = ERRORS_BY_CODE[error.code]
    return TencentError(code, error.message if message is None else message)
