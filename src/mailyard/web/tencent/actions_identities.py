"""Sending domains and sender addresses: CreateEmailIdentity, GetEmailIdentity, ListEmailIdentities,
UpdateEmailIdentity, DeleteEmailIdentity, CreateEmailAddress, ListEmailAddress, DeleteEmailAddress,
UpdateEmailSmtpPassWord (spec 1.4 "Sending domains", "Sender addresses").
"""

from __future__ import annotations

import email.utils
import re
from typing import Any

from mailyard.domain import identities
from mailyard.domain.accounts import Principal
from mailyard.errors import InvalidInput
from mailyard.services.container import Services
from mailyard.web.doors import ActionTable
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.fields import Fields

DKIM_2048 = 1  #: DKIMOption: the keys made here are 2048-bit whatever was asked (0 = 1024, 1 = 2048)
MAX_REPUTATION_LEVEL = 10
UNLIMITED_DAILY_QUOTA = 2**32 - 1  #: shown as DailyQuota when the account has no daily quota
MAX_SENDER_NAME = 200
MAX_ADDRESS_FIELD = 128
MAX_PASSWORD_FIELD = 64
PASSWORD_LENGTHS = range(10, 21)


def _domain_name(fields: Fields) -> str:
    try:
        return identities.normalize_domain(fields.text("EmailIdentity"))
    except InvalidInput:
        raise TencentError(
            "InvalidParameterValue.InvalidEmailIdentity", "EmailIdentity is not a domain name."
        ) from None


def _dkim_option(fields: Fields) -> None:
    fields.optional_choice("DKIMOption", (0, 1))


def _attributes(records: list[identities.DnsRecord]) -> list[dict[str, Any]]:
    return [
        {
            "Type": record.type,
            "SendDomain": record.name,
            "ExpectedValue": record.expected_value,
            "CurrentValue": record.current_value,
            "Status": record.verified,
        }
        for record in records
    ]


def _identity_out(domain: identities.SendingDomain, records: list[identities.DnsRecord]) -> dict[str, Any]:
    return {
        "IdentityType": "DOMAIN",
        "VerifiedForSendingStatus": domain.verified,
        "Attributes": _attributes(records),
        "DKIMOption": DKIM_2048,
    }


def _listed_identity(domain: identities.SendingDomain, daily_quota: int) -> dict[str, Any]:
    return {
        "IdentityName": domain.domain,
        "IdentityType": "DOMAIN",
        "SendingEnabled": domain.verified,
        "CurrentReputationLevel": MAX_REPUTATION_LEVEL,
        "DailyQuota": daily_quota,
        "SendIp": [],
        "TagList": [],
        "DKIMOption": DKIM_2048,
    }


def _sender_out(sender: identities.SenderAddress) -> dict[str, Any]:
    return {
        "EmailAddress": sender.address,
        "EmailSenderName": sender.display_name,
        "CreatedTimestamp": int(sender.created_at.timestamp()),
        "SmtpPwdType": 1 if sender.has_smtp_password else 0,
    }


def _sender_address(fields: Fields) -> tuple[str, str]:
    """``(address, display name)`` from ``EmailAddress`` (``addr`` or ``Name <addr>``) and ``EmailSenderName``."""
    raw = fields.text("EmailAddress", max_length=MAX_ADDRESS_FIELD + MAX_SENDER_NAME + 3).strip()
    parsed_name, address = email.utils.parseaddr(raw)
    if not address or len(address) > MAX_ADDRESS_FIELD:
        raise TencentError("InvalidParameterValue.IllegalEmailAddress", "EmailAddress is not a valid address.")
    name = fields.optional_text("EmailSenderName")
    display_name = (name if name is not None else parsed_name).strip()
    if len(display_name) > MAX_SENDER_NAME or any(ch in display_name for ch in "<>\r\n"):
        raise TencentError(
            "InvalidParameterValue.IllegalSenderName",
            f"The sender name must be at most {MAX_SENDER_NAME} characters, without <, > or line breaks.",
        )
    return address, display_name


def _check_password(password: str) -> None:
    """10-20 characters with at least two distinct digits, a lowercase and an uppercase letter."""
    distinct_digits = {ch for ch in password if ch.isascii() and ch.isdigit()}
    if (
        len(password) not in PASSWORD_LENGTHS
        or len(distinct_digits) < 2
        or not re.search(r"[a-z]", password)
        or not re.search(r"[A-Z]", password)
    ):
        raise TencentError(
            "InvalidParameterValue.InvalidSmtpPassWord",
            "The password must be 10 to 20 characters with at least 2 different digits, "
            "a lowercase and an uppercase letter.",
        )


async def create_email_identity(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    name = _domain_name(fields)
    _dkim_option(fields)
    domain = await services.identities.create_domain(principal, name)
    return _identity_out(domain, domain.dns_records())


async def get_email_identity(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    domain = await services.identities.get_domain(principal, _domain_name(Fields(params)))
    return {**_identity_out(domain, domain.dns_records()), "TagList": []}


async def list_email_identities(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    offset = fields.optional_uint("Offset") or 0
    limit = fields.optional_uint("Limit")
    domains = await services.identities.list_domains(principal)
    quota = (await services.access.account(principal)).daily_quota
    daily_quota = UNLIMITED_DAILY_QUOTA if quota is None else quota
    chosen = domains[offset:] if limit is None else domains[offset : offset + limit]
    return {
        "EmailIdentities": [_listed_identity(domain, daily_quota) for domain in chosen],
        "MaxReputationLevel": MAX_REPUTATION_LEVEL,
        "MaxDailyQuota": daily_quota,
        "Total": len(domains),
    }


async def update_email_identity(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    fields = Fields(params)
    name = _domain_name(fields)
    _dkim_option(fields)
    fields.optional_bool("NewAPI")
    domain, records = await services.identities.verify_domain(principal, name)
    return _identity_out(domain, records)


async def delete_email_identity(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    await services.identities.delete_domain(principal, _domain_name(Fields(params)))
    return {}


async def create_email_address(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    address, display_name = _sender_address(Fields(params))
    await services.identities.create_sender(principal, address=address, display_name=display_name)
    return {}


async def list_email_address(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    return {"EmailSenders": [_sender_out(sender) for sender in await services.identities.list_senders(principal)]}


async def delete_email_address(services: Services, principal: Principal, params: dict[str, Any]) -> dict[str, Any]:
    await services.identities.delete_sender(
        principal, Fields(params).text("EmailAddress", max_length=MAX_ADDRESS_FIELD)
    )
    return {}


async def update_email_smtp_password(
    services: Services, principal: Principal, params: dict[str, Any]
) -> dict[str, Any]:
    fields = Fields(params)
    password = fields.text("Password", max_length=MAX_PASSWORD_FIELD)
    address = fields.text("EmailAddress", max_length=MAX_ADDRESS_FIELD)
    _check_password(password)
    await services.identities.set_smtp_password(principal, address, password)
    return {}


ACTIONS: ActionTable = {
    "CreateEmailIdentity": create_email_identity,
    "GetEmailIdentity": get_email_identity,
    "ListEmailIdentities": list_email_identities,
    "UpdateEmailIdentity": update_email_identity,
    "DeleteEmailIdentity": delete_email_identity,
    "CreateEmailAddress": create_email_address,
    "ListEmailAddress": list_email_address,
    "DeleteEmailAddress": delete_email_address,
    "UpdateEmailSmtpPassWord": update_email_smtp_password,
}
