"""Domain verification checks the return path's MX and SPF too (DNS answered from a table: no DNS is
reachable from the test machine)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from mailyard import bootstrap
from mailyard.domain.return_path import ReturnPathSettings
from mailyard.mail.dkim import RsaDkimKeyMaker
from mailyard.services.identities import IdentityService
from mailyard.system.passwords import Argon2PasswordHasher
from mailyard.system.vault import FernetCipher

pytestmark = pytest.mark.timeout(60)


class PublishedRecords:
    """The `DnsResolver` port answering from what a test published."""

    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}
        self.mx: dict[str, list[str]] = {}

    async def txt_records(self, name: str) -> list[str]:
        return self.txt.get(name, [])

    async def mx_hosts(self, name: str) -> list[str]:
        return self.mx.get(name, [])


async def test_verification_needs_the_return_path_records(runtime: bootstrap.Runtime, team: Any) -> None:
    dns = PublishedRecords()
    service = IdentityService(
        runtime.store,
        cipher=FernetCipher(Fernet.generate_key()),
        passwords=Argon2PasswordHasher(),
        dkim_keys=RsaDkimKeyMaker(),
        dns=dns,
        trust_domains=False,
        return_path=ReturnPathSettings(inbound_host="mx.mailyard.example"),
    )
    principal = team.admin.principal
    domain = await service.create_domain(principal, "shop.example.org")
    for record in domain.dns_records():
        if record.type == "TXT":
            dns.txt.setdefault(record.name, []).append(record.expected_value)
    verified, checked = await service.verify_domain(principal, "shop.example.org")
    assert not verified.verified
    assert [(record.type, record.name) for record in checked if not record.verified] == [
        ("MX", "bounce.shop.example.org")
    ]

    dns.mx["bounce.shop.example.org"] = ["mx.mailyard.example"]
    verified, checked = await service.verify_domain(principal, "shop.example.org")
    assert verified.verified and all(record.verified for record in checked)
