"""Statistics and reports: GetStatisticsReport (daily and overall volumes from the ledger) and
GetAbuseReport (spec 1.4 "Statistics and reports"). Dates are ``YYYY-MM-DD`` in the account's zone.
"""

from __future__ import annotations

import email.utils
import re
from datetime import date, datetime
from typing import Any

from mailyard.domain import events, messages, paging, schedules
from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.coercion import INT64_MAX, as_day, as_int64
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields

ABUSE_REPORT_LIMIT = 1000  #: GetAbuseReport's default Limit (spec 1.3 "Paging")
MAX_DOMAIN = 253
_ABUSE_FILTERS = ("FromDomain", "FromAddress", "Mta", "ToAddress", "TemplateId")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?: \d{2}:\d{2}:\d{2})?")


def _volume_out(volume: messages.Volume) -> dict[str, Any]:
    return {
        "SendDate": volume.day.isoformat(),
        "RequestCount": volume.requested,
        "AcceptedCount": volume.accepted,
        "DeliveredCount": volume.delivered,
        "OpenedCount": volume.opened,
        "ClickedCount": volume.clicked,
        "BounceCount": volume.bounced,
        "UnsubscribeCount": volume.unsubscribed,
    }


def _abuse_out(complaint: events.Complaint, time_zone: str) -> dict[str, Any]:
    """One complaint as Tencent's AbuseReport; times in the account's zone."""
    sender = email.utils.parseaddr(complaint.from_address)[1] or complaint.from_address
    recipient = complaint.event.delivery.address
    complained = schedules.format_local_time(complaint.event.occurred_at, time_zone)
    delivered = complaint.delivered_at
    return {
        "DeliverTime": schedules.format_local_time(delivered, time_zone) if delivered else "",
        "OriginalMailFrom": sender,
        "OriginalRcptTo": recipient,
        "FromDomain": sender.rpartition("@")[2],
        "ComplainTime": complained,
        "Mta": recipient.rpartition("@")[2],
        "SourceIp": "",
        "InsertTime": complained,
        "TemplateId": str(complaint.template_id),
        "BulkId": "",
        "MessageId": complaint.message_id,
        "AbuseTime": complained,
        "Subject": complaint.subject,
    }


def _abuse_day(fields: Fields, key: str, code: str) -> date:
    """``StartTime``/``EndTime``: a date, or a date and time (the example shows a date)."""
    text = fields.text(key).strip()
    found = _DATE_TIME.fullmatch(text)
    if found is None:
        raise TencentError(code, f"{key} must be a date such as 2025-10-14.")
    if found.group(0) != found.group(1):
        try:
            datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise TencentError(code, f"{key} must be a date such as 2025-10-14.") from None
    return as_day(found.group(1), key, code)


def _optional_int64(params: dict[str, Any], key: str) -> int | None:
    """An optional non-negative ``int64`` (GetAbuseReport's Offset and Limit)."""
    value = params.get(key)
    if value is None:
        return None
    number = as_int64(value, key)
    if not 0 <= number <= INT64_MAX:
        raise TencentError("InvalidParameterValue", f"The parameter {key} must not be negative.")
    return number


async def get_statistics_report(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    first_day = as_day(fields.text("StartDate"), "StartDate")
    last_day = as_day(fields.text("EndDate"), "EndDate")
    report = await services.statistics.report(
        principal,
        first_day,
        last_day,
        sender_domain=fields.optional_text("Domain", max_length=MAX_DOMAIN),
        recipient_domain=fields.optional_text("ReceivingMailboxType", max_length=MAX_DOMAIN),
    )
    return {
        "DailyVolumes": [_volume_out(volume) for volume in report.daily],
        "OverallVolume": _volume_out(report.overall),
    }


async def get_abuse_report(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    first_day = _abuse_day(fields, "StartTime", "InvalidParameter.InvalidStartTimeFormat")
    last_day = _abuse_day(fields, "EndTime", "InvalidParameter.InvalidEndTimeFormat")
    offset = _optional_int64(params, "Offset") or 0
    limit = _optional_int64(params, "Limit")
    texts = {key: fields.optional_text(key, max_length=320) for key in _ABUSE_FILTERS}
    template = (texts["TemplateId"] or "").strip()
    if template and not template.isdigit():
        return {"Data": [], "TotalCount": 0}  # no template has such an id
    window = paging.Window(offset=min(offset, INT64_MAX), limit=min(limit or ABUSE_REPORT_LIMIT, ABUSE_REPORT_LIMIT))
    page = await services.statistics.abuse_reports(
        principal,
        first_day,
        last_day,
        window,
        from_domain=texts["FromDomain"],
        from_address=texts["FromAddress"],
        recipient_domain=texts["Mta"],
        recipient=texts["ToAddress"],
        template_id=int(template) if template and len(template) <= 18 else None,
    )
    return {"Data": [_abuse_out(item, principal.time_zone) for item in page.items], "TotalCount": page.total}


ACTIONS: ActionTable = {
    "GetStatisticsReport": get_statistics_report,
    "GetAbuseReport": get_abuse_report,
}
