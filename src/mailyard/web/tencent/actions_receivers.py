"""Recipient lists: CreateReceiver, CreateReceiverDetail, CreateReceiverDetailWithData, ListReceivers,
ListReceiverDetails, DeleteReceiver (spec 1.4 "Recipient lists"). Uploads finish inside their
request, so a list is "awaiting upload" (1) while empty and "upload complete" (3) after.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from mailyard.domain import paging, recipients, rendering, schedules
from mailyard.domain.accounts import Principal
from mailyard.errors import InvalidInput
from mailyard.services.container import Services
from mailyard.services.recipients import RecipientFilter
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields

MAX_EMAIL_FILTER = 50
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!]")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _recipient_data(item: Fields) -> dict[str, Any]:
    """One ``ReceiverInputData.TemplateData``: a JSON object string of at most 800 bytes, no HTML."""
    raw = item.text("TemplateData")
    if len(raw.encode()) > recipients.MAX_VARIABLES_BYTES:
        raise TencentError(
            "InvalidParameterValue.TemplateDataLenLimit",
            f"{item.name('TemplateData')} is longer than {recipients.MAX_VARIABLES_BYTES} bytes.",
        )
    try:
        values = rendering.read_template_data(raw)
    except rendering.TemplateDataError as error:
        raise TencentError("InvalidParameterValue.TemplateDataError", f"{item.name('TemplateData')}: {error}") from None
    if any(_HTML_TAG.search(rendering.variable_text(value)) for value in values.values()):
        raise TencentError(
            "InvalidParameterValue.InValidTemplateData",
            f"{item.name('TemplateData')} must not contain HTML tags.",
        )
    return values


def _upload_counts(report: recipients.UploadReport) -> dict[str, Any]:
    return {
        "TotalCount": report.total,
        "ValidCount": report.valid,
        "TooLongCount": report.too_long,
        "EmptyEmailCount": report.empty,
        "RepeatCount": report.repeated,
    }


def _created_bound(fields: Fields, key: str, code: str, time_zone: str, *, end: bool) -> datetime | None:
    """``2024-08-13`` (the whole day) or ``2024-08-13 10:00:00``, in the account's time zone."""
    text = (fields.optional_text(key) or "").strip()
    if not text:
        return None
    date_only = _DATE_ONLY.fullmatch(text) is not None
    try:
        moment = schedules.parse_local_time(f"{text} 00:00:00" if date_only else text, time_zone, field=key)
    except InvalidInput:
        raise TencentError(code, f"{key} must look like 2024-08-13 or 2024-08-13 10:00:00.") from None
    return moment + timedelta(days=1) if end and date_only else moment


def _recipient_filter(fields: Fields, time_zone: str) -> RecipientFilter:
    status = fields.optional_choice("Status", (1, 2))
    begin = "InvalidParameter.InvalidStartTimeFormat"
    end = "InvalidParameter.InvalidEndTimeFormat"
    return RecipientFilter(
        address_contains=fields.optional_text("Email", max_length=MAX_EMAIL_FILTER) or None,
        valid=None if status is None else status == 1,
        created_from=_created_bound(fields, "CreateTimeBegin", begin, time_zone, end=False),
        created_until=_created_bound(fields, "CreateTimeEnd", end, time_zone, end=True),
    )


def _list_out(found: recipients.RecipientList, time_zone: str) -> dict[str, Any]:
    return {
        "ReceiverId": found.id,
        "ReceiversName": found.name,
        "Count": found.total_count,
        "Desc": found.description,
        "ReceiversStatus": int(found.status),
        "CreateTime": schedules.format_local_time(found.created_at, time_zone),
        "InvalidCount": found.invalid_count,
    }


def _recipient_out(recipient: recipients.Recipient, time_zone: str) -> dict[str, Any]:
    data = recipient.variables
    return {
        "Email": recipient.address,
        "CreateTime": schedules.format_local_time(recipient.created_at, time_zone),
        "TemplateData": "" if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        "Reason": recipient.reason or "",
        "Status": 1 if recipient.valid else 2,
        "EmailId": recipient.id,
    }


async def create_receiver(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    created = await services.recipients.create_list(
        principal, name=fields.text("ReceiversName"), description=fields.optional_text("Desc") or ""
    )
    return {"ReceiverId": created.id}


async def create_receiver_detail(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    list_id = fields.id("ReceiverId", missing="MissingParameter.ReceiverIdNecessary")
    emails = fields.text_list("Emails", missing="MissingParameter.EmailsNecessary")
    report = await services.recipients.add_recipients(principal, list_id, ((email, None) for email in emails))
    return _upload_counts(report)


async def create_receiver_detail_with_data(
    services: Services, principal: Principal, params: dict[str, Any]
) -> dict[str, Any]:
    fields = Fields(params)
    list_id = fields.id("ReceiverId", missing="MissingParameter.ReceiverIdNecessary")
    items = fields.nested_list("Datas", missing="MissingParameter.EmailsNecessary")
    entries = [(item.text("Email"), _recipient_data(item)) for item in items]
    report = await services.recipients.add_recipients(principal, list_id, entries)
    return _upload_counts(report)


async def list_receivers(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    window = paging.Window(offset=fields.offset(), limit=fields.limit())
    status = fields.optional_choice("Status", (1, 2, 3))
    page = await services.recipients.list_lists(
        principal,
        window,
        keyword=fields.optional_text("KeyWord") or None,
        status=None if status is None else recipients.ListStatus(status),
    )
    return {"TotalCount": page.total, "Data": [_list_out(item, principal.time_zone) for item in page.items]}


async def list_receiver_details(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    list_id = fields.id("ReceiverId", missing="MissingParameter.ReceiverIdNecessary")
    window = paging.Window(offset=fields.offset(), limit=fields.limit())
    chosen = _recipient_filter(fields, principal.time_zone)
    found, page = await services.recipients.list_recipients(principal, list_id, window, chosen)
    return {
        "TotalCount": page.total,
        "Data": [_recipient_out(item, principal.time_zone) for item in page.items],
        "ValidCount": found.valid_count,
        "InvalidCount": found.invalid_count,
    }


async def delete_receiver(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    list_id = Fields(params).id("ReceiverId", missing="MissingParameter.ReceiverIdNecessary")
    await services.recipients.delete_list(principal, list_id)
    return {}


ACTIONS: ActionTable = {
    "CreateReceiver": create_receiver,
    "CreateReceiverDetail": create_receiver_detail,
    "CreateReceiverDetailWithData": create_receiver_detail_with_data,
    "ListReceivers": list_receivers,
    "ListReceiverDetails": list_receiver_details,
    "DeleteReceiver": delete_receiver,
}
