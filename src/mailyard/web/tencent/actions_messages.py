"""Single send and delivery status: SendEmail and GetSendEmailStatus (spec 1.4 "Single send and delivery
status", 1.5 Attachment and SendEmailStatus). Attachment content travels as Base64 (spec 1.3).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from mailyard.domain import messages, paging, runs, suppressions
from mailyard.domain.accounts import Principal
from mailyard.domain.events import EventType
from mailyard.services.container import Services
from mailyard.services.single_sends import AttachmentUpload, SendRequest
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.coercion import as_day
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields
from mailyard.web.tencent.template_param import SEND_PARAMS, read_template

ATTACHMENT_WRONG = "InvalidParameterValue.AttachContentIsWrong"
# Base64 of 4 MB is about 5.6 MB: refuse before decoding anything larger.
MAX_ENCODED_ATTACHMENTS = (messages.MAX_ATTACHMENT_BYTES + 2) // 3 * 4 + 1024
MAX_ADDRESS = 320
# SendStatus (spec 1.5 SendEmailStatus): why Mailyard did not send to a recipient at all.
_SKIPPED_SEND_STATUS = {
    f"suppressed: {suppressions.SuppressionReason.UNSUBSCRIBE.value}": 1013,
    f"suppressed: {suppressions.SuppressionReason.HARD_BOUNCE.value}": 1007,
    f"suppressed: {suppressions.SuppressionReason.CUSTOM.value}": 1007,
}
QUOTA_SEND_STATUS = 1010
# DeliverStatus: 0 queued, 1 delivered, 2 dropped, 3 refused by the receiver, 8 deferred by it.
QUEUED, DELIVERED, DROPPED, REFUSED, DEFERRED = 0, 1, 2, 3, 8


# ---- SendEmail ---------------------------------------------------------------------------------


def _attachments(fields: Fields) -> list[AttachmentUpload]:
    items = fields.nested_list("Attachments", missing=None)
    if len(items) > messages.MAX_ATTACHMENTS:
        raise TencentError("FailedOperation.TooManyAttachments", "At most 10 attachments per message.")
    encoded = [(item.text("FileName"), item.optional_text("Content") or "") for item in items]
    if sum(len(content) for _name, content in encoded) > MAX_ENCODED_ATTACHMENTS:
        raise TencentError("FailedOperation.AttachContentToolarge", "Attachments are limited to 4 MB in total.")
    uploads = []
    for index, (name, content) in enumerate(encoded):
        if not content:
            raise TencentError(ATTACHMENT_WRONG, f"Attachments.{index}.Content is empty.")
        try:
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise TencentError(ATTACHMENT_WRONG, f"Attachments.{index}.Content is not Base64.") from None
        uploads.append(AttachmentUpload(filename=name, content=data))
    return uploads


def _send_request(fields: Fields) -> SendRequest:
    from_address = fields.text("FromEmailAddress", missing=SEND_PARAMS, max_length=400)
    subject = fields.text("Subject", missing=SEND_PARAMS)
    template_id, variables = read_template(fields, required="FromEmailAddress, Subject and Template")
    fields.optional_choice("TriggerType", (0, 1))
    return SendRequest(
        from_address=from_address,
        subject=subject,
        template_id=template_id,
        variables=variables,
        destination=fields.text_list("Destination", missing=None),
        cc=fields.text_list("Cc", missing=None),
        bcc=fields.text_list("Bcc", missing=None),
        reply_to=fields.optional_text("ReplyToAddresses", max_length=MAX_ADDRESS),
        attachments=_attachments(fields),
        unsubscribe=fields.optional_text("Unsubscribe"),
    )


# ---- GetSendEmailStatus ------------------------------------------------------------------------


def _codes(status: messages.EmailStatus) -> tuple[int, int, str]:
    """``(SendStatus, DeliverStatus, DeliverMessage)`` of one recipient's ledger row."""
    reason = status.reason or ""
    if status.state == runs.DeliveryState.SENT:
        return 0, DELIVERED, reason
    if status.state == runs.DeliveryState.FAILED:
        return 0, REFUSED, reason
    if status.state == runs.DeliveryState.SKIPPED:
        return _SKIPPED_SEND_STATUS.get(reason, 0), DROPPED, reason
    send_status = QUOTA_SEND_STATUS if status.task_suspended else 0
    return send_status, DEFERRED if status.attempts else QUEUED, reason


def _status_out(status: messages.EmailStatus) -> dict[str, Any]:
    send_status, deliver_status, deliver_message = _codes(status)
    final = deliver_status in (DELIVERED, DROPPED, REFUSED)
    return {
        "MessageId": status.message_id,
        "ToEmailAddress": status.to_address,
        "FromEmailAddress": status.from_address,
        "SendStatus": send_status,
        "DeliverStatus": deliver_status,
        "DeliverMessage": deliver_message,
        "RequestTime": int(status.requested_at.timestamp()),
        "DeliverTime": int(status.updated_at.timestamp()) if final else 0,
        "UserOpened": EventType.OPEN in status.event_types,
        "UserClicked": EventType.CLICK in status.event_types,
        "UserUnsubscribed": EventType.UNSUBSCRIBE in status.event_types,
        "UserComplainted": EventType.SPAMREPORT in status.event_types,
        "UserComplained": EventType.SPAMREPORT in status.event_types,
    }


async def send_email(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    sent = await services.single_sends.send(principal, _send_request(Fields(params)))
    return {"MessageId": sent.message_id}


async def get_send_email_status(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    request_date = as_day(fields.text("RequestDate"), "RequestDate")
    window = paging.Window(offset=fields.offset(), limit=fields.limit())
    found = await services.single_sends.statuses(
        principal,
        request_date,
        window,
        message_id=fields.optional_text("MessageId", max_length=200) or None,
        to_address=fields.optional_text("ToEmailAddress", max_length=MAX_ADDRESS) or None,
    )
    return {"EmailStatusList": [_status_out(status) for status in found]}


ACTIONS: ActionTable = {
    "SendEmail": send_email,
    "GetSendEmailStatus": get_send_email_status,
}
