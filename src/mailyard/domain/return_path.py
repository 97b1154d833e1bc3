"""Return paths: each copy's own envelope sender (VERP) on a subdomain of its sending domain.

A copy from `news@example.com` goes out with the envelope sender `news+<token>@bounce.example.com`; the
token names the delivery and carries a MAC (services/return_path.py), so bounces come back to an address that
says which copy they are about, and a forged one cannot name a copy. Keeping the return-path domain under the
sending domain keeps SPF aligned with the From domain for DMARC.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailyard.domain.identities import DnsRecord

DEFAULT_LABEL = "bounce"
COMPLAINTS_LOCAL_PART = "complaints"
FALLBACK_LOCAL_PART = "bounces"  #: used when the sender's own local part leaves no room for a token
MAX_LOCAL_PART = 64  #: RFC 5321 4.5.3.1.1
MAX_TOKEN = 37  #: "+" and the longest token (19 id digits, ".", 16 MAC hex digits)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnPathSettings:
    """Where bounces come back: `label` names the subdomain, `inbound_host` is the MX host it points at."""

    label: str = DEFAULT_LABEL
    inbound_host: str = "localhost"

    def domain_for(self, sending_domain: str) -> str:
        return f"{self.label}.{sending_domain.lower()}"

    def sending_domain_of(self, return_path_domain: str) -> str | None:
        """The sending domain a return-path domain belongs to, or None when it is not shaped like one."""
        label, dot, rest = return_path_domain.lower().partition(".")
        return rest if dot and label == self.label and "." in rest else None

    def records(self, sending_domain: str, *, verified: bool) -> list[DnsRecord]:
        """What to publish for the return-path domain: an MX at the inbound listener, and SPF that allows
        what the sending domain's own SPF allows."""
        name = self.domain_for(sending_domain)
        return [
            DnsRecord(type="MX", name=name, expected_value=self.inbound_host, verified=verified),
            DnsRecord(type="TXT", name=name, expected_value=f"v=spf1 include:{sending_domain} ~all", verified=verified),
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressTemplate:
    """A run's return path with the token left out: a copy's is `prefix + token + suffix`."""

    prefix: str  #: "local+"
    suffix: str  #: "@bounce.example.com"


def template_for(sender: str, settings: ReturnPathSettings) -> AddressTemplate:
    """The return-path template of a sender address, built once per run."""
    local, _, domain = sender.rpartition("@")
    if not local or len(local) + MAX_TOKEN > MAX_LOCAL_PART:
        local = FALLBACK_LOCAL_PART
    return AddressTemplate(prefix=f"{local}+", suffix=f"@{settings.domain_for(domain)}")
