"""DNS TXT and MX look-ups for domain verification (dnspython)."""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.resolver

LOOKUP_TIMEOUT_SECONDS = 5.0


class DnsTxtResolver:
    """The `DnsResolver` port; any failure reads as "no records" so verification simply fails."""

    async def txt_records(self, name: str) -> list[str]:
        try:
            answer = await dns.asyncresolver.resolve(name, "TXT", lifetime=LOOKUP_TIMEOUT_SECONDS)
        except (dns.exception.DNSException, OSError):
            return []
        return [b"".join(record.strings).decode(errors="replace") for record in answer]

    async def mx_hosts(self, name: str) -> list[str]:
        try:
            answer = await dns.asyncresolver.resolve(name, "MX", lifetime=LOOKUP_TIMEOUT_SECONDS)
        except (dns.exception.DNSException, OSError):
            return []
        return [record.exchange.to_text(omit_final_dot=True).lower() for record in answer]
