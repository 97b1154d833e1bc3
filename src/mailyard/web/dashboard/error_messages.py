"""What a person reads for a core error: one sentence per code, in the dashboard's languages (the Chinese ones
live in the catalogue), above the core's own message, which keeps the specifics (a field, a limit, a name).

A test fails when a code has no sentence here or no Chinese translation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mailyard.errors import ErrorCode, MailyardError
from mailyard.web.dashboard.labels import translatable

E = ErrorCode

MESSAGES: dict[ErrorCode, str] = {
    E.INVALID_INPUT: translatable("Some of the values given are not valid."),
    E.NOT_FOUND: translatable("It does not exist, or it is not yours to see."),
    E.FORBIDDEN: translatable("You may not do this."),
    E.CONFLICT: translatable("This cannot be done in the current state."),
    E.LIMIT_EXCEEDED: translatable("A limit was exceeded."),
    E.AUTHENTICATION_FAILED: translatable("The credentials were not accepted."),
    E.NUL_CHARACTER: translatable("The request must not contain NUL characters."),
    E.ID_OUT_OF_RANGE: translatable("An id is out of range."),
    E.DATE_OUT_OF_RANGE: translatable("A date is out of range."),
    E.ACCOUNT_NOT_FOUND: translatable("The account does not exist."),
    E.ADMIN_NOT_FOUND: translatable("The account has no admin."),
    E.ADMIN_REQUIRED: translatable("Only an admin of the account may do this."),
    E.USER_EXISTS: translatable("A user with this name exists already."),
    E.USER_NOT_FOUND: translatable("The user does not exist."),
    E.LAST_ADMIN: translatable("The account must keep at least one admin: make another user admin first."),
    E.KEY_NOT_FOUND: translatable("The access key does not exist."),
    E.DOMAIN_EXISTS: translatable("The domain has been added already."),
    E.DOMAIN_NOT_FOUND: translatable("The sending domain does not exist."),
    E.DOMAIN_NOT_VERIFIED: translatable("The domain has not passed verification yet."),
    E.DOMAIN_HAS_SENDERS: translatable("The domain still has sender addresses: delete them first."),
    E.ADDRESS_INVALID: translatable("The email address is not valid."),
    E.SENDER_EXISTS: translatable("The sender address exists already."),
    E.SENDER_NOT_FOUND: translatable("The sender address does not exist."),
    E.SENDER_INVALID: translatable("The sender is not valid."),
    E.TOO_MANY_SENDERS: translatable("The account has the most sender addresses it may have."),
    E.DOMAIN_FORBIDDEN: translatable("Only an admin or the user who added the domain may change or delete it."),
    E.SENDER_FORBIDDEN: translatable("Only an admin or the user who added the sender address may change or delete it."),
    E.DOMAIN_IN_USE: translatable("Tasks that may still send use this domain."),
    E.SENDER_IN_USE: translatable("Tasks that may still send use this sender address."),
    E.TEMPLATE_NOT_FOUND: translatable("The template does not exist."),
    E.TEMPLATE_NOT_APPROVED: translatable("The template has not been approved."),
    E.TEMPLATE_IN_USE: translatable("The template is used by a task."),
    E.TEMPLATE_FORBIDDEN: translatable("Only an admin or the user who created the template may change or delete it."),
    E.TEMPLATE_DATA_INVALID: translatable("The template variables are not valid."),
    E.TEMPLATE_NAME_EMPTY: translatable("The template name cannot be empty."),
    E.TEMPLATE_NAME_TOO_LONG: translatable("The template name is too long."),
    E.TEMPLATE_CONTENT_EMPTY: translatable("The template has no content."),
    E.TEMPLATE_CONTENT_TOO_LARGE: translatable("The template content is too large."),
    E.LIST_NOT_FOUND: translatable("The recipient list does not exist."),
    E.LIST_NAME_TAKEN: translatable("A recipient list with this name exists already."),
    E.LIST_NAME_INVALID: translatable("The list name is not valid."),
    E.LIST_DESCRIPTION_TOO_LONG: translatable("The list description is too long."),
    E.LIST_IN_USE: translatable("The recipient list is used by a task."),
    E.LIST_FORBIDDEN: translatable("Only an admin or the user who created the list may change or delete it."),
    E.LIST_EMPTY: translatable("The recipient list is empty."),
    E.RECIPIENTS_MISSING: translatable("No recipients were given."),
    E.RECIPIENT_VARIABLES_INVALID: translatable("A recipient's variables are not valid."),
    E.UPLOAD_TOO_LARGE: translatable("The upload has too many recipients."),
    E.LIST_TOO_LARGE: translatable("The recipient list would be too large."),
    E.SUBJECT_LENGTH: translatable("The subject is too long or empty."),
    E.REPLY_TO_INVALID: translatable("The reply-to address is not valid."),
    E.BEGIN_TIME_IN_PAST: translatable("The start time is in the past."),
    E.TASK_NOT_FOUND: translatable("The task does not exist."),
    E.TASK_FORBIDDEN: translatable("The task is not yours to see or change."),
    E.TASK_PAUSED: translatable("The task is paused: resume it first."),
    E.TASK_CANCELLED: translatable("The task is cancelled."),
    E.TASK_ALREADY_RUNNING: translatable("The task is running already."),
    E.RUN_NOT_FOUND: translatable("The run does not exist."),
    E.GRANT_NOT_FOUND: translatable("The task is not shared with this user."),
    E.DATE_RANGE_INVALID: translatable("The date range is not valid."),
    E.ADDRESSES_REQUIRED: translatable("Give at least one email address."),
    E.TOO_MANY_ADDRESSES: translatable("Too many addresses at once."),
    E.BLACKLIST_ENTRY_NOT_FOUND: translatable("The blacklist entry does not exist."),
    E.SUPPRESSION_NOT_FOUND: translatable("The address is not suppressed."),
    E.BLACKLIST_ENTRY_EXISTS: translatable("The address is on the blacklist already."),
    E.UNSUBSCRIBE_OPTION_INVALID: translatable("The unsubscribe option is not valid."),
    E.UNSUBSCRIBE_CONFIG_EXISTS: translatable("The sender address has an unsubscribe setting already."),
    E.UNSUBSCRIBE_CONFIG_NOT_FOUND: translatable("The unsubscribe setting does not exist."),
    E.UNSUBSCRIBE_LINK_INVALID: translatable("The unsubscribe link is not valid."),
    E.TRACKING_TOKEN_INVALID: translatable("The tracking link is not valid."),
    E.WEBHOOK_NOT_FOUND: translatable("The webhook does not exist."),
    E.WEBHOOK_URL_REFUSED: translatable("The webhook address is not allowed."),
    E.TOO_MANY_RECIPIENTS: translatable("Too many recipients."),
    E.TOO_MANY_CC: translatable("Too many Cc addresses."),
    E.TOO_MANY_BCC: translatable("Too many Bcc addresses."),
    E.BCC_OVERLAPS: translatable("Bcc and the recipients must not share an address."),
    E.NO_RECIPIENT: translatable("Give at least one recipient."),
    E.TOO_MANY_ATTACHMENTS: translatable("Too many attachments."),
    E.ATTACHMENTS_TOO_LARGE: translatable("The attachments are too large."),
    E.ATTACHMENT_NAME: translatable("The attachment name is not supported."),
    E.DATE_NOT_SUPPORTED: translatable("This date cannot be queried."),
    E.OUTBOX_MESSAGE_NOT_FOUND: translatable("The message does not exist."),
    E.LOGIN_THROTTLED: translatable("Too many failed logins: try again later."),
    E.SENDER_NOT_ALLOWED: translatable("This sender address may not be used here."),
    E.MESSAGE_INVALID: translatable("The message is not valid."),
    E.QUOTA_EXHAUSTED: translatable("The daily quota is used up."),
    E.RATE_LIMITED: translatable("Too many requests: slow down."),
    E.SIGN_IN_FAILED: translatable("Unknown account or user, or wrong password."),
    E.SIGN_IN_THROTTLED: translatable("Too many failed sign-ins: try again later."),
    E.SESSION_ENDED: translatable("Your session has ended: sign in again."),
    E.PASSWORD_INVALID: translatable("The password is not valid."),
    E.CROSS_SITE_REQUEST: translatable("This form has expired or did not come from this dashboard: reload the page."),
}


@dataclass(frozen=True)
class ShownError:
    summary: str  #: the code's sentence in the person's language
    detail: str  #: the core's message with its specifics; empty when it only repeats the summary


def shown_error(error: MailyardError, gettext: Callable[[str], str]) -> ShownError:
    summary = MESSAGES[error.code]
    detail = "" if _words(error.message) == _words(summary) else error.message
    return ShownError(summary=gettext(summary), detail=detail)


def _words(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()
