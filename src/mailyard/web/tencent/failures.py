"""Core errors → Tencent Cloud SES error codes (spec 1.6.1, 1.6.2), in one table.

``ERRORS_BY_CODE`` maps a core error's stable ``code`` to the Tencent ``(Code, Message)``; add a row
for each new core code a Tencent action can meet. A core error without a row falls back by its
class (``FALLBACK_BY_KIND``) and keeps its own message.
"""

from __future__ import annotations

from mailyard import errors
from mailyard.web.tencent.errors import TencentError

ERRORS_BY_CODE: dict[str, tuple[str, str]] = {
    # sending domains and sender addresses
    "domain_exists": ("InvalidParameterValue.RepeatCreation", "The domain has already been created."),
    "domain_not_found": ("InvalidParameterValue.NotExistDomain", "The domain has not been created yet."),
    "domain_not_verified": ("OperationDenied.DomainNotVerified", "The domain has not passed verification."),
    "domain_has_senders": (
        "OperationDenied.SenderWithDomainIsNotEmpty",
        "The domain still has sender addresses; delete them first.",
    ),
    "address_invalid": ("InvalidParameterValue.IllegalEmailAddress", "The email address is not valid."),
    "sender_exists": ("InvalidParameterValue.RepeatEmailAddress", "The sender address has already been created."),
    "sender_not_found": ("InvalidParameterValue.NoSuchSender", "You have no such sender address."),
    "sender_invalid": ("FailedOperation.IncorrectSender", "The sender format is incorrect."),
    "too_many_senders": ("OperationDenied.ExceedSenderLimit", "The maximum number of sender addresses is reached."),
    # templates
    "template_not_found": ("InvalidParameterValue.TemplateNotExist", "The template does not exist."),
    "template_not_approved": (
        "OperationDenied.TemplateStatusError",
        "The template does not exist or has not been approved.",
    ),
    "template_in_use": ("ResourceInUse", "The template is used by a send task."),
    # recipient lists
    "list_not_found": ("OperationDenied.ReceiverNotExist", "The recipient list does not exist."),
    "list_name_taken": ("InvalidParameterValue.RepeatReceiverName", "A recipient list with this name exists."),
    "list_in_use": ("ResourceInUse", "The recipient list is used by a send task."),
    "list_empty": ("OperationDenied.ReceiverStatusError", "The recipient list is empty or not uploaded."),
    "recipients_missing": ("MissingParameter.EmailsNecessary", "Recipient addresses are required."),
    "upload_too_large": (
        "LimitExceeded.ReceiverDetailRequestLimit",
        "At most 20000 recipient addresses may be uploaded per request.",
    ),
    "list_too_large": (
        "LimitExceeded.ReceiverDetailCountLimit",
        "A recipient list holds at most 50000 addresses.",
    ),
    # tasks
    "begin_time_in_past": ("InvalidParameterValue.BeginTimeBeforeNow", "The begin time cannot be before now."),
    "task_not_found": ("ResourceNotFound", "The send task does not exist."),
    "task_forbidden": ("UnauthorizedOperation", "This send task belongs to another user."),
    "admin_required": ("UnauthorizedOperation", "Only an admin of the account may do this."),
    # blacklists
    "date_range_invalid": ("InvalidParameterValue.WrongDate", "The start date is after the end date."),
    "addresses_required": ("MissingParameter.EmailsNecessary", "Email addresses are required."),
    "too_many_addresses": ("LimitExceeded.ReceiverDetailRequestLimit", "At most 20000 addresses per request."),
    "blacklist_entry_not_found": ("ResourceNotFound", "The custom blacklist entry does not exist."),
    "blacklist_entry_exists": ("FailedOperation.EmailAddrInBlacklist", "The address is on the blacklist already."),
    # address-level unsubscribe configuration
    "unsubscribe_option_invalid": ("InvalidParameterValue", "UnsubscribeConfig must be a string from 0 to 12."),
    "unsubscribe_config_exists": ("ResourceInUse", "The sender address has an unsubscribe configuration already."),
    "unsubscribe_config_not_found": ("ResourceNotFound", "The sender address has no unsubscribe configuration."),
    # single sends (SendEmail, GetSendEmailStatus)
    "too_many_recipients": ("FailedOperation.TooManyRecipients", "At most 50 Destination addresses."),
    "too_many_cc": ("FailedOperation.TooManyRecipients", "At most 20 Cc addresses."),
    "too_many_bcc": ("FailedOperation.TooManyRecipients", "At most 20 Bcc addresses."),
    "bcc_overlaps": ("InvalidParameterValue", "Bcc and Destination must not share an address."),
    "no_recipient": ("MissingParameter.EmailsNecessary", "Give at least one Destination, Cc or Bcc address."),
    "too_many_attachments": ("FailedOperation.TooManyAttachments", "At most 10 attachments per message."),
    "attachments_too_large": ("FailedOperation.AttachContentToolarge", "Attachments are limited to 4 MB in total."),
    "attachment_name": ("FailedOperation.InvalidAttachName", "The attachment name is not supported."),
    "subject_length": ("InvalidParameterValue.SubjectLengthError", "The subject must be 1 to 100 characters."),
    "template_data_invalid": ("FailedOperation.WrongContentJson", "TemplateData must be a JSON object."),
    "unsubscribe_invalid": ("InvalidParameterValue", 'Unsubscribe must be one of "0" to "12".'),
    "date_not_supported": ("FailedOperation.NotSupportDate", "Only the last 30 days can be queried."),
}

FALLBACK_BY_KIND: dict[type[errors.MailyardError], str] = {
    errors.InvalidInput: "InvalidParameterValue",
    errors.NotFound: "ResourceNotFound",
    errors.Forbidden: "UnauthorizedOperation",
    errors.Conflict: "OperationDenied",
    errors.LimitExceeded: "LimitExceeded",
    errors.AuthenticationFailed: "AuthFailure",
}


def translate_error(error: Exception) -> TencentError | None:
    """The Tencent error for a core error; ``None`` for anything else (the door answers InternalError)."""
    if not isinstance(error, errors.MailyardError):
        return None
    if error.code in ERRORS_BY_CODE:
        return TencentError(*ERRORS_BY_CODE[error.code])
    for kind, code in FALLBACK_BY_KIND.items():
        if isinstance(error, kind):
            return TencentError(code, error.message)
    return TencentError("FailedOperation", error.message)
