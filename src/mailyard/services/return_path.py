"""Return-path tokens: a copy's envelope sender names its delivery, with a MAC so it cannot be forged.

The token is the delivery id in decimal and 8 bytes of MAC (from the `TokenSigner` port) in lower-case hex,
so mail systems that change the case of local parts do no harm: `news+4242.9f0c3e1ab27d5c66@bounce.example.com`.
Reading is case-insensitive and accepts a MAC made under any key still held, compared in constant time.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from mailyard.domain.return_path import COMPLAINTS_LOCAL_PART, AddressTemplate, ReturnPathSettings
from mailyard.ports.secrets import TokenSigner

_MAC_BYTES = 8
_CONTEXT = b"mailyard return path v1\x00"
_MAX_ID_DIGITS = 19  #: decimal digits of the largest 64-bit id
_HEX_DIGITS = frozenset(string.hexdigits.lower())


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundAddress:
    """What an address the inbound listener was given stands for."""

    delivery_id: int | None  #: a copy's return path
    complaints_for: str | None  #: the sending domain whose complaint address it is


class ReturnPaths:
    def __init__(self, signer: TokenSigner, settings: ReturnPathSettings) -> None:
        self._signer = signer
        self.settings = settings

    def address(self, template: AddressTemplate, delivery_id: int) -> str:
        """A copy's envelope sender; the per-copy cost is one MAC."""
        number = str(delivery_id)
        return f"{template.prefix}{number}.{self._mac(number).hex()}{template.suffix}"

    def read(self, address: str) -> InboundAddress | None:
        """What an address is: a copy's return path with an authentic token, this installation's complaint
        address shape, or None."""
        local, at, domain = address.strip().lower().rpartition("@")
        sending_domain = self.settings.sending_domain_of(domain) if at else None
        if sending_domain is None:
            return None
        if local == COMPLAINTS_LOCAL_PART:
            return InboundAddress(delivery_id=None, complaints_for=sending_domain)
        delivery_id = self._delivery_of(local.rpartition("+")[2]) if "+" in local else None
        return InboundAddress(delivery_id=delivery_id, complaints_for=None) if delivery_id else None

    def _delivery_of(self, token: str) -> int | None:
        number, dot, mac = token.partition(".")
        if not dot or not 0 < len(number) <= _MAX_ID_DIGITS or not number.isascii() or not number.isdigit():
            return None
        if number.startswith("0") or len(mac) != 2 * _MAC_BYTES or not set(mac) <= _HEX_DIGITS:
            return None
        return int(number) if self._signer.verify(_message(number), bytes.fromhex(mac)) else None

    def _mac(self, number: str) -> bytes:
        return self._signer.sign(_message(number))[:_MAC_BYTES]


def _message(number: str) -> bytes:
    return _CONTEXT + number.encode("ascii")
