"""Unsubscribe: per-sender-address configurations, the signed links messages carry, and following a link.

A link's token names (account, recipient address), sealed so that it reads as noise: nobody can unsubscribe
an address without a message sent to it, and nobody who sees the link (a proxy log, a forwarded message) learns
the address or the account from it. Following the link adds an `unsubscribe` suppression, which later runs
honour when they expand their recipient list.

Sealing is deterministic authenticated encryption built on the `TokenSigner` PRF (the SIV construction): the
tag is a MAC of the padded payload, and the payload is XORed with a keystream the signer derives from the tag.
A token reads under whichever key still held made it (see `TokenSigner`). Links from before sealing
(``base64(account:address).base64(mac)``, told apart by their dot) keep working: they sit in mail already
delivered, and RFC 8058 one-click must not break.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from mailyard.domain import accounts, addresses, events, paging, tasks
from mailyard.domain.suppressions import SuppressionReason
from mailyard.domain.unsubscribe import UnsubscribeConfig, check_language, task_asks_for_link
from mailyard.errors import Conflict, ErrorCode, NotFound
from mailyard.ports.clock import Clock
from mailyard.ports.secrets import TokenSigner
from mailyard.ports.store import Store
from mailyard.ports.unsubscribe import LinkRepositories, UnsubscribeRepositories
from mailyard.services.events import EventRecorder

#: The per-recipient variable holding the token; the List-Unsubscribe URL template refers to it.
TOKEN_VARIABLE = "mailyard.unsubscribe_token"
LINK_PATH = "/unsubscribe/"
_MAC_BYTES = 16
_CONTEXT = b"mailyard unsubscribe v1\x00"  # links before sealing: read, never written
_TAG_CONTEXT = b"mailyard unsubscribe v2 tag\x00"
_STREAM_CONTEXT = b"mailyard unsubscribe v2 stream\x00"
_PADDING = 16  # payloads are padded with NULs (no address holds one) to hide their exact length
_UNSUBSCRIBED = SuppressionReason.UNSUBSCRIBE


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """Who a valid unsubscribe token speaks for."""

    account_id: int
    address: str


class UnsubscribeLinks:
    """Makes and reads unsubscribe tokens, and decides which messages carry a List-Unsubscribe header."""

    def __init__(self, signer: TokenSigner, public_url: str) -> None:
        self._signer = signer
        self._base = public_url.rstrip("/")

    def token(self, account_id: int, address: str) -> str:
        payload = f"{account_id}:{address.lower()}".encode()
        padded = payload + b"\x00" * (-len(payload) % _PADDING)
        tag = self._signer.sign(_TAG_CONTEXT + padded)[:_MAC_BYTES]
        return _encode(tag + _xor(padded, _keystream(self._signer.sign, tag, len(padded))))

    def read(self, token: str) -> Recipient | None:
        """The recipient a token names, or None when it is malformed or does not authenticate."""
        payload = self._read_legacy(token) if "." in token else self._unseal(token)
        if payload is None:
            return None
        account, _, address = payload.decode("utf-8", "replace").partition(":")
        if not (account.isascii() and account.isdigit()) or addresses.problem(address):
            return None
        return Recipient(account_id=int(account), address=address)

    def _unseal(self, token: str) -> bytes | None:
        sealed = _decode(token)
        if sealed is None or len(sealed) <= _MAC_BYTES:
            return None
        tag, ciphertext = sealed[:_MAC_BYTES], sealed[_MAC_BYTES:]
        found = None
        for sign in self._signer.generations():  # the key that made the tag also made the keystream
            padded = _xor(ciphertext, _keystream(sign, tag, len(ciphertext)))
            if hmac.compare_digest(tag, sign(_TAG_CONTEXT + padded)[:_MAC_BYTES]):
                found = padded.rstrip(b"\x00")
        return found

    def _read_legacy(self, token: str) -> bytes | None:
        encoded_payload, _, encoded_mac = token.partition(".")
        payload, mac = _decode(encoded_payload), _decode(encoded_mac)
        if payload is None or mac is None or len(mac) != _MAC_BYTES:
            return None
        return payload if self._signer.verify(_CONTEXT + payload, mac) else None

    def url(self, account_id: int, address: str) -> str:
        return f"{self._base}{LINK_PATH}{self.token(account_id, address)}"

    async def link_option(self, repositories: LinkRepositories, task: tasks.Task, sender: str) -> str | None:
        """The language option ("1".."12") of a task's unsubscribe link: the task's own, else its sender
        address's configuration; None when its messages carry no link."""
        if task_asks_for_link(task.unsubscribe):
            return (task.unsubscribe or "").strip()
        config = await repositories.unsubscribe_configs.get(task.account_id, sender.lower())
        return config.language if config is not None and config.adds_link else None

    def url_template(self, option: str) -> str:
        """The link with the recipient's token as a placeholder; `lang` makes its page speak the footer's
        language."""
        return f"{self._base}{LINK_PATH}{{{{{TOKEN_VARIABLE}}}}}?lang={option}"

    async def header_template(self, repositories: LinkRepositories, task: tasks.Task, sender: str) -> str | None:
        """The List-Unsubscribe URL template for a task's messages, or None when they carry no link."""
        option = await self.link_option(repositories, task, sender)
        return self.url_template(option) if option else None

    def with_token(self, values: dict[str, str], account_id: int, address: str) -> dict[str, str]:
        values[TOKEN_VARIABLE] = self.token(account_id, address)
        return values


class UnsubscribeService:
    def __init__(
        self, store: Store[UnsubscribeRepositories], links: UnsubscribeLinks, recorder: EventRecorder, clock: Clock
    ) -> None:
        self._store = store
        self.links = links
        self._recorder = recorder
        self._clock = clock

    async def create_config(
        self, principal: accounts.Principal, *, address: str, language: str, enabled: bool
    ) -> UnsubscribeConfig:
        """Configure a sender address of the account (one configuration per address)."""
        option = check_language(language)
        async with self._store.transaction() as repositories:
            sender = await _sender(repositories, principal, address)
            if await repositories.unsubscribe_configs.get(principal.account_id, sender):
                raise Conflict(
                    f"{sender} has an unsubscribe configuration already", code=ErrorCode.UNSUBSCRIBE_CONFIG_EXISTS
                )
            return await repositories.unsubscribe_configs.create(
                account_id=principal.account_id, address=sender, language=option, enabled=enabled
            )

    async def list_configs(
        self, principal: accounts.Principal, window: paging.Window
    ) -> paging.Page[UnsubscribeConfig]:
        async with self._store.transaction() as repositories:
            return await repositories.unsubscribe_configs.list(principal.account_id, window)

    async def update_config(self, principal: accounts.Principal, *, address: str, language: str, enabled: bool) -> None:
        option = check_language(language)
        async with self._store.transaction() as repositories:
            sender = await _sender(repositories, principal, address)
            updated = await repositories.unsubscribe_configs.update(
                account_id=principal.account_id, address=sender, language=option, enabled=enabled
            )
        if not updated:
            raise _no_config(sender)

    async def put_config(
        self, principal: accounts.Principal, *, address: str, language: str, enabled: bool
    ) -> UnsubscribeConfig:
        """Create the sender address's configuration, or change the one it has."""
        option = check_language(language)
        async with self._store.transaction() as repositories:
            sender = await _sender(repositories, principal, address)
            configs = repositories.unsubscribe_configs
            if await configs.get(principal.account_id, sender) is None:
                return await configs.create(
                    account_id=principal.account_id, address=sender, language=option, enabled=enabled
                )
            await configs.update(account_id=principal.account_id, address=sender, language=option, enabled=enabled)
            changed = await configs.get(principal.account_id, sender)
        assert changed is not None
        return changed

    async def delete_config(self, principal: accounts.Principal, address: str) -> None:
        cleaned = address.strip().lower()
        async with self._store.transaction() as repositories:
            if not await repositories.unsubscribe_configs.delete(principal.account_id, cleaned):
                raise _no_config(cleaned)

    def recipient_of(self, token: str) -> Recipient:
        """The recipient of a link; NotFound for a forged or damaged one."""
        found = self.links.read(token)
        if found is None:
            raise NotFound("this unsubscribe link is not valid", code=ErrorCode.UNSUBSCRIBE_LINK_INVALID)
        return found

    async def unsubscribe(self, token: str) -> Recipient:
        """Follow a link: the address receives no more mail from the account. Following it again is harmless.

        The first time, an `unsubscribe` event is recorded on the latest copy delivered to the address."""
        recipient = self.recipient_of(token)
        async with self._store.transaction() as repositories:
            if await repositories.accounts.get(recipient.account_id) is None:
                raise NotFound("this unsubscribe link is not valid", code=ErrorCode.UNSUBSCRIBE_LINK_INVALID)
            if await repositories.suppressions.find(recipient.account_id, recipient.address, _UNSUBSCRIBED) is None:
                await self._record_event(repositories, recipient)
            await repositories.suppressions.add(
                account_id=recipient.account_id,
                address=recipient.address,
                reason=SuppressionReason.UNSUBSCRIBE,
                expires_at=None,
            )
        return recipient

    async def _record_event(self, repositories: UnsubscribeRepositories, recipient: Recipient) -> None:
        latest = await repositories.events.latest_of_address(
            recipient.account_id, recipient.address, (events.EventType.DELIVERED,), 1
        )
        if latest:
            event = events.NewEvent(
                type=events.EventType.UNSUBSCRIBE, delivery=latest[0].delivery, occurred_at=self._clock.now()
            )
            await self._recorder.record(repositories, [event])


async def _sender(repositories: UnsubscribeRepositories, principal: accounts.Principal, address: str) -> str:
    cleaned = address.strip().lower()
    if await repositories.senders.get(principal.account_id, cleaned) is None:
        raise NotFound(f"{address!r} is not a sender address of the account", code=ErrorCode.SENDER_NOT_FOUND)
    return cleaned


def _no_config(address: str) -> NotFound:
    return NotFound(f"{address} has no unsubscribe configuration", code=ErrorCode.UNSUBSCRIBE_CONFIG_NOT_FOUND)


def _keystream(sign: Callable[[bytes], bytes], tag: bytes, length: int) -> bytes:
    stream = bytearray()
    while len(stream) < length:
        counter = (len(stream) // _MAC_BYTES).to_bytes(4, "big")
        stream += sign(_STREAM_CONTEXT + tag + counter)[:_MAC_BYTES]
    return bytes(stream[:length])


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(left ^ right for left, right in zip(data, stream, strict=True))


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes | None:
    if not text or len(text) > 1024:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
