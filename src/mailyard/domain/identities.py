"""Sending domains (identities) and the sender addresses on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from mailyard.errors import InvalidInput

_DOMAIN = re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
DKIM_SELECTOR = "mailyard"


@dataclass(frozen=True, kw_only=True)
class DnsRecord:
    """One DNS record the owner must publish: what we expect and what we last saw."""

    type: str
    name: str
    expected_value: str
    current_value: str = ""
    verified: bool = False


@dataclass(frozen=True, kw_only=True)
class SendingDomain:
    """A domain the account sends from, with its DKIM public key."""

    id: int
    account_id: int
    domain: str
    verified: bool
    dkim_selector: str
    dkim_public_value: str  #: the TXT value `v=DKIM1; k=rsa; p=...`
    created_at: datetime
    created_by: int | None = None  #: the user who made it; it and admins may change it (None: admins only)
    return_path_records: tuple[DnsRecord, ...] = ()  #: MX and SPF of its return-path domain, when it has one

    def dns_records(self) -> list[DnsRecord]:
        """SPF, DKIM and DMARC records that make the domain a good sender, and its return path's."""
        return [
            DnsRecord(type="TXT", name=self.domain, expected_value="v=spf1 a mx ~all", verified=self.verified),
            DnsRecord(
                type="TXT",
                name=f"{self.dkim_selector}._domainkey.{self.domain}",
                expected_value=self.dkim_public_value,
                verified=self.verified,
            ),
            DnsRecord(
                type="TXT",
                name=f"_dmarc.{self.domain}",
                expected_value="v=DMARC1; p=none",
                verified=self.verified,
            ),
            *self.return_path_records,
        ]


@dataclass(frozen=True, kw_only=True)
class SenderAddress:
    """An address on a sending domain, with an optional display name."""

    id: int
    account_id: int
    domain_id: int
    address: str
    display_name: str
    has_smtp_password: bool
    created_at: datetime
    created_by: int | None = None  #: the user who made it; it and admins may change it (None: admins only)


def normalize_domain(value: str) -> str:
    """Lower-case a domain name and check its syntax."""
    domain = value.strip().rstrip(".").lower()
    if not _DOMAIN.fullmatch(domain):
        raise InvalidInput(f"not a valid domain name: {value!r}", field="domain")
    return domain
