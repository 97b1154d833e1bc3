"""What sending domains and sender addresses need: their rows, new DKIM keys and DNS lookups."""

from __future__ import annotations

import builtins
from typing import Protocol

from mailyard.domain import identities


class DkimKeyMaker(Protocol):
    def generate(self) -> tuple[str, str]:
        """A new (private key PEM, DNS TXT value) pair."""
        ...


class DnsResolver(Protocol):
    async def txt_records(self, name: str) -> list[str]:
        """The TXT values published at a name; empty when there are none or the lookup fails."""
        ...

    async def mx_hosts(self, name: str) -> list[str]:
        """The mail exchanger host names of a name (lower case, no final dot); empty when none or on failure."""
        ...


class Domains(Protocol):
    async def create(
        self,
        *,
        account_id: int,
        created_by: int,
        domain: str,
        verified: bool,
        dkim_public_value: str,
        sealed_dkim_key: str,
    ) -> identities.SendingDomain: ...
    async def get(self, account_id: int, domain: str) -> identities.SendingDomain | None: ...
    async def list(self, account_id: int) -> builtins.list[identities.SendingDomain]: ...
    async def set_verified(self, account_id: int, domain_id: int, verified: bool) -> None: ...
    async def delete(self, account_id: int, domain_id: int) -> None: ...


class SenderLookup(Protocol):
    async def get(self, account_id: int, address: str) -> identities.SenderAddress | None: ...


class Senders(SenderLookup, Protocol):
    async def create(
        self, *, account_id: int, created_by: int, domain_id: int, address: str, display_name: str
    ) -> identities.SenderAddress: ...
    async def list(self, account_id: int) -> builtins.list[identities.SenderAddress]: ...
    async def count(self, account_id: int) -> int: ...
    async def delete(self, account_id: int, address: str) -> bool: ...
    async def set_smtp_password(self, account_id: int, address: str, password_hash: str) -> bool: ...


class SendingTasks(Protocol):
    async def still_sending_from(self, account_id: int, fragment: str) -> builtins.list[tuple[int, str]]:
        """Id and From field of the account's tasks that may still send whose From contains `fragment` (any
        case), by id: the candidates a caller then matches exactly."""
        ...


class IdentityRepositories(Protocol):
    @property
    def domains(self) -> Domains: ...
    @property
    def senders(self) -> Senders: ...
    @property
    def tasks(self) -> SendingTasks: ...
