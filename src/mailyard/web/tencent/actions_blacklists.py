"""Blacklists: ListBlackEmailAddress, DeleteBlackList (hard bounces), CreateCustomBlacklist,
ListCustomBlacklist, UpdateCustomBlackList, DeleteCustomBlackList (the account's own list) — spec 1.4
"Blacklists". The names' inconsistent casing is the real one (gotcha 9).

Dates are ``YYYY-MM-DD`` calendar days in the account's time zone; an ``ExpireDate`` is the first day
the entry no longer applies, and an empty one means for good.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mailyard.domain import paging, schedules
from mailyard.domain.accounts import Principal
from mailyard.domain.suppressions import Suppression, local_day
from mailyard.services.container import Services
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.coercion import as_day
from mailyard.web.tencent.fields import Fields

MAX_EMAIL_FILTER = 320
EMAILS_MISSING = "MissingParameter.EmailsNecessary"


def _expire_date(fields: Fields) -> date | None:
    text = fields.optional_text("ExpireDate") or ""
    return as_day(text, "ExpireDate") if text.strip() else None


def _bounce_out(entry: Suppression, time_zone: str) -> dict[str, Any]:
    return {
        "BounceTime": schedules.format_local_time(entry.created_at, time_zone),
        "EmailAddress": entry.address,
        "IspDesc": entry.description or entry.reason.value.replace("_", " "),
    }


def _custom_out(entry: Suppression, principal: Principal, now: datetime) -> dict[str, Any]:
    expires = entry.expires_at
    return {
        "Id": entry.id,
        "Email": entry.address,
        "CreateTime": schedules.format_local_time(entry.created_at, principal.time_zone),
        "ExpireDate": "" if expires is None else local_day(expires, principal.time_zone).isoformat(),
        "Status": 1 if entry.active_at(now) else 0,
    }


async def list_black_email_address(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    first = as_day(fields.text("StartDate"), "StartDate", "InvalidParameter.InvalidStartTimeFormat")
    last = as_day(fields.text("EndDate"), "EndDate", "InvalidParameter.InvalidEndTimeFormat")
    window = paging.Window(offset=fields.offset(), limit=fields.limit())
    page = await services.suppressions.list_hard_bounces(
        principal,
        window,
        first_day=first,
        last_day=last,
        address_contains=fields.optional_text("EmailAddress", max_length=MAX_EMAIL_FILTER),
    )
    return {
        "BlackList": [_bounce_out(item, principal.time_zone) for item in page.items],
        "TotalCount": page.total,
    }


async def delete_black_list(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    addresses = Fields(params).text_list("EmailAddressList", missing=EMAILS_MISSING)
    await services.suppressions.remove_hard_bounces(principal, addresses)
    return {}


async def create_custom_blacklist(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    emails = fields.text_list("Emails", missing=EMAILS_MISSING)
    report = await services.suppressions.add_custom(principal, emails, expires_on=_expire_date(fields))
    return {
        "TotalCount": report.total,
        "ValidCount": report.valid,
        "TooLongCount": report.too_long,
        "RepeatCount": report.repeated,
        "InvalidCount": report.invalid,
    }


async def list_custom_blacklist(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    window = paging.Window(offset=fields.offset(), limit=fields.limit())
    status = fields.choice("Status", (0, 1, 2))
    page = await services.suppressions.list_custom(
        principal,
        window,
        active=None if status == 2 else status == 1,
        address_contains=fields.optional_text("Email", max_length=MAX_EMAIL_FILTER),
    )
    now = services.clock.now()
    return {"TotalCount": page.total, "Data": [_custom_out(item, principal, now) for item in page.items]}


async def update_custom_black_list(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    entry_id = fields.id("Id")
    address = fields.text("Email")
    await services.suppressions.update_custom(principal, entry_id, address=address, expires_on=_expire_date(fields))
    return {}


async def delete_custom_black_list(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    await services.suppressions.remove_custom(principal, Fields(params).text_list("Emails", missing=EMAILS_MISSING))
    return {}


ACTIONS: ActionTable = {
    "ListBlackEmailAddress": list_black_email_address,
    "DeleteBlackList": delete_black_list,
    "CreateCustomBlacklist": create_custom_blacklist,
    "ListCustomBlacklist": list_custom_blacklist,
    "UpdateCustomBlackList": update_custom_black_list,
    "DeleteCustomBlackList": delete_custom_black_list,
}
