"""Sending domains (with DKIM keys and DNS checks) and sender addresses."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from mailyard.domain import accounts, addresses, identities, tasks, visibility
from mailyard.domain.return_path import ReturnPathSettings
from mailyard.errors import Conflict, ErrorCode, InvalidInput, LimitExceeded, NotFound
from mailyard.ports.identities import DkimKeyMaker, DnsResolver, IdentityRepositories
from mailyard.ports.secrets import PasswordHasher, SecretCipher
from mailyard.ports.store import Store

MAX_SENDER_ADDRESSES = 10
SHOWN_TASKS = 20  #: task ids named in an "in use" error


class IdentityService:
    def __init__(
        self,
        store: Store[IdentityRepositories],
        *,
        cipher: SecretCipher,
        passwords: PasswordHasher,
        dkim_keys: DkimKeyMaker,
        dns: DnsResolver,
        trust_domains: bool,
        return_path: ReturnPathSettings | None = None,
    ) -> None:
        self._store = store
        self._return_path = return_path or ReturnPathSettings()
        self._cipher = cipher
        self._passwords = passwords
        self._dkim_keys = dkim_keys
        self._dns = dns
        self._trust_domains = trust_domains

    async def create_domain(self, principal: accounts.Principal, domain: str) -> identities.SendingDomain:
        """Register a domain with a fresh DKIM key; verified at once when the service trusts domains."""
        name = identities.normalize_domain(domain)
        private_pem, public_value = self._dkim_keys.generate()
        async with self._store.transaction() as repositories:
            if await repositories.domains.get(principal.account_id, name):
                raise Conflict(f"domain {name} exists already", code=ErrorCode.DOMAIN_EXISTS)
            created = await repositories.domains.create(
                account_id=principal.account_id,
                created_by=principal.user_id,
                domain=name,
                verified=self._trust_domains,
                dkim_public_value=public_value,
                sealed_dkim_key=self._cipher.encrypt(private_pem),
            )
        return self._with_return_path(created)

    async def get_domain(self, principal: accounts.Principal, domain: str) -> identities.SendingDomain:
        async with self._store.transaction() as repositories:
            found = await repositories.domains.get(principal.account_id, identities.normalize_domain(domain))
        if found is None:
            raise NotFound(f"domain {domain} not found", code=ErrorCode.DOMAIN_NOT_FOUND)
        return self._with_return_path(found)

    async def list_domains(self, principal: accounts.Principal) -> list[identities.SendingDomain]:
        async with self._store.transaction() as repositories:
            found = await repositories.domains.list(principal.account_id)
        return [self._with_return_path(domain) for domain in found]

    def _with_return_path(self, domain: identities.SendingDomain) -> identities.SendingDomain:
        records = self._return_path.records(domain.domain, verified=domain.verified)
        return replace(domain, return_path_records=tuple(records))

    async def verify_domain(
        self, principal: accounts.Principal, domain: str
    ) -> tuple[identities.SendingDomain, list[identities.DnsRecord]]:
        """Check the DNS records (or trust the domain) and store whether it is verified."""
        found = await self.get_domain(principal, domain)
        checked = [await self._check_record(record) for record in found.dns_records()]
        verified = self._trust_domains or all(record.verified for record in checked)
        async with self._store.transaction() as repositories:
            await repositories.domains.set_verified(principal.account_id, found.id, verified)
        refreshed = await self.get_domain(principal, domain)
        return refreshed, checked if not self._trust_domains else refreshed.dns_records()

    async def _check_record(self, record: identities.DnsRecord) -> identities.DnsRecord:
        if record.type == "MX":
            hosts = await self._dns.mx_hosts(record.name)
            found = record.expected_value.lower().rstrip(".") in hosts
            return replace(record, current_value=" ".join(hosts), verified=found)
        values = await self._dns.txt_records(record.name)
        expected = record.expected_value.replace(" ", "")
        matching = next((value for value in values if value.replace(" ", "") == expected), None)
        if matching is None and record.expected_value.startswith("v=spf1"):
            matching = next((value for value in values if value.startswith("v=spf1")), None)
        if matching is None and record.expected_value.startswith("v=DMARC1"):
            matching = next((value for value in values if value.startswith("v=DMARC1")), None)
        current = matching or (values[0] if values else "")
        return identities.DnsRecord(
            type=record.type,
            name=record.name,
            expected_value=record.expected_value,
            current_value=current,
            verified=matching is not None,
        )

    async def delete_domain(self, principal: accounts.Principal, domain: str) -> None:
        """Refused while tasks may still send mail from the domain, or while it has sender addresses."""
        found = await self.get_domain(principal, domain)
        what = f"domain {found.domain}"
        code = ErrorCode.DOMAIN_FORBIDDEN
        visibility.require_may_change(principal, created_by=found.created_by, what=what, code=code)
        async with self._store.transaction() as repositories:
            users = await _tasks_sending_as(repositories, principal.account_id, f"@{found.domain}", domain=found.domain)
            if users:
                raise Conflict(f"{what} {_used_by(users)}", code=ErrorCode.DOMAIN_IN_USE)
            senders = await repositories.senders.list(principal.account_id)
            if any(sender.domain_id == found.id for sender in senders):
                raise Conflict(f"domain {found.domain} still has sender addresses", code=ErrorCode.DOMAIN_HAS_SENDERS)
            await repositories.domains.delete(principal.account_id, found.id)

    async def create_sender(
        self, principal: accounts.Principal, *, address: str, display_name: str = ""
    ) -> identities.SenderAddress:
        """A sender address on a verified domain of the account (at most ten per account)."""
        cleaned = addresses.normalized(address)
        if len(display_name) > 200:
            raise InvalidInput("display name must be at most 200 characters", field="display_name")
        domain = cleaned.rpartition("@")[2]
        async with self._store.transaction() as repositories:
            found = await repositories.domains.get(principal.account_id, domain)
            if found is None:
                raise NotFound(
                    f"domain {domain} is not a sending domain of the account", code=ErrorCode.DOMAIN_NOT_FOUND
                )
            if not found.verified:
                raise Conflict(f"domain {domain} is not verified", code=ErrorCode.DOMAIN_NOT_VERIFIED)
            if await repositories.senders.get(principal.account_id, cleaned):
                raise Conflict(f"sender {cleaned} exists already", code=ErrorCode.SENDER_EXISTS)
            if await repositories.senders.count(principal.account_id) >= MAX_SENDER_ADDRESSES:
                raise LimitExceeded(f"at most {MAX_SENDER_ADDRESSES} sender addresses", code=ErrorCode.TOO_MANY_SENDERS)
            return await repositories.senders.create(
                account_id=principal.account_id,
                created_by=principal.user_id,
                domain_id=found.id,
                address=cleaned,
                display_name=display_name,
            )

    async def list_senders(self, principal: accounts.Principal) -> list[identities.SenderAddress]:
        async with self._store.transaction() as repositories:
            return await repositories.senders.list(principal.account_id)

    async def delete_sender(self, principal: accounts.Principal, address: str) -> None:
        """Refused while tasks may still send mail from the address."""
        async with self._store.transaction() as repositories:
            sender = await _changeable_sender(repositories, principal, address)
            users = await _tasks_sending_as(repositories, principal.account_id, sender.address, address=sender.address)
            if users:
                raise Conflict(f"sender {sender.address} {_used_by(users)}", code=ErrorCode.SENDER_IN_USE)
            await repositories.senders.delete(principal.account_id, sender.address)

    async def set_smtp_password(self, principal: accounts.Principal, address: str, password: str) -> None:
        """Store the SMTP password a sender address signs in to SMTP submission with, as a slow salted hash."""
        hashed = await asyncio.to_thread(self._passwords.hash, password)  # slow on purpose: off the event loop
        async with self._store.transaction() as repositories:
            sender = await _changeable_sender(repositories, principal, address)
            await repositories.senders.set_smtp_password(principal.account_id, sender.address, hashed)


async def _changeable_sender(
    repositories: IdentityRepositories, principal: accounts.Principal, address: str
) -> identities.SenderAddress:
    sender = await repositories.senders.get(principal.account_id, address.strip().lower())
    if sender is None:
        raise NotFound(f"sender {address} not found", code=ErrorCode.SENDER_NOT_FOUND)
    what, code = f"sender {sender.address}", ErrorCode.SENDER_FORBIDDEN
    visibility.require_may_change(principal, created_by=sender.created_by, what=what, code=code)
    return sender


async def _tasks_sending_as(
    repositories: IdentityRepositories,
    account_id: int,
    fragment: str,
    *,
    address: str | None = None,
    domain: str | None = None,
) -> list[int]:
    """Ids of the account's tasks that may still send from `address`, or from any address at `domain`."""
    found = []
    for task_id, from_field in await repositories.tasks.still_sending_from(account_id, fragment):
        sender = tasks.sender_address(from_field)
        if sender == address or (domain is not None and sender.rpartition("@")[2] == domain):
            found.append(task_id)
    return found


def _used_by(task_ids: list[int]) -> str:
    shown = ", ".join(str(task_id) for task_id in task_ids[:SHOWN_TASKS])
    more = f" and {len(task_ids) - SHOWN_TASKS} more" if len(task_ids) > SHOWN_TASKS else ""
    return f"is used by tasks that may still send: {shown}{more}; cancel them or let them finish first"
