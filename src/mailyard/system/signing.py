"""The `TokenSigner` port: HMAC-SHA256 under keys derived from the master keys, never stored anywhere.

Tokens are signed under the newest master key and accepted under every key still held (the ring's and the
retired ones), as MultiFernet decrypts: a key rotation breaks no link in mail already sent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mailyard.system.vault import MasterKeyRing

MIN_MAC_BYTES = 8  #: shorter MACs are refused, whatever a caller truncates to
RING_CHECK_SECONDS = 1.0  #: how often signing looks whether another process rotated the key file


class HmacSigner:
    """Signs with a key derived (HKDF-SHA256) from a master key for one purpose, so the master key itself
    never signs and keys of different purposes are unrelated.

    Given a key ring, it follows the ring: a key file rotated by another process is seen within a second when
    signing, and at once when a token fails to verify.
    """

    def __init__(self, keys: bytes | Sequence[bytes] | MasterKeyRing, *, purpose: str) -> None:
        self._info = purpose.encode()
        self._ring = keys if isinstance(keys, MasterKeyRing) else None
        if isinstance(keys, MasterKeyRing):
            masters = keys.link_keys()
        else:
            masters = (keys,) if isinstance(keys, bytes) else tuple(keys)
        self._masters: tuple[bytes, ...] = ()
        self._keys: tuple[bytes, ...] = ()
        self._use(masters)
        self._checked_at = time.monotonic()

    def sign(self, message: bytes) -> bytes:
        self._follow_ring()
        return hmac.digest(self._keys[0], message, hashlib.sha256)  # the one-shot C path: signed per copy

    def verify(self, message: bytes, mac: bytes) -> bool:
        """Whether `mac` (at least MIN_MAC_BYTES of it) is the MAC of `message` under any key held. Every key
        is tried, each in constant time."""
        if len(mac) < MIN_MAC_BYTES:
            return False
        if self._matches(message, mac):
            return True
        return self._follow_ring(now=True) and self._matches(message, mac)

    def generations(self) -> tuple[Callable[[bytes], bytes], ...]:
        """The MAC function of every key held, newest first, for tokens that need the key that made them."""
        self._follow_ring()
        return tuple(_mac_function(key) for key in self._keys)

    def _matches(self, message: bytes, mac: bytes) -> bool:
        matched = False
        for key in self._keys:  # no early exit: the time taken does not tell which key matched
            matched |= hmac.compare_digest(mac, hmac.digest(key, message, hashlib.sha256)[: len(mac)])
        return matched

    def _follow_ring(self, *, now: bool = False) -> bool:
        """Re-derive the keys when the ring changed; True when it did."""
        if self._ring is None or not (now or time.monotonic() - self._checked_at >= RING_CHECK_SECONDS):
            return False
        self._checked_at = time.monotonic()
        masters = self._ring.link_keys()
        if masters == self._masters:
            return False
        self._use(masters)
        return True

    def _use(self, masters: Sequence[bytes]) -> None:
        self._masters = tuple(masters)
        self._keys = tuple(
            HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self._info).derive(master) for master in masters
        )

    def __repr__(self) -> str:
        return "HmacSigner(<keys hidden>)"


def _mac_function(key: bytes) -> Callable[[bytes], bytes]:
    return lambda message: hmac.digest(key, message, hashlib.sha256)
