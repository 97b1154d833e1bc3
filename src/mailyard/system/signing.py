"""The `TokenSigner` port: HMAC-SHA256 under a key derived from the master key, never stored anywhere."""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class HmacSigner:
    """Signs with a key derived (HKDF-SHA256) from the master key for one purpose, so the master key itself
    never signs and keys of different purposes are unrelated."""

    def __init__(self, master_key: bytes, *, purpose: str) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(master_key)

    def sign(self, message: bytes) -> bytes:
        return hmac.digest(self._key, message, hashlib.sha256)  # the one-shot C path: signed per copy

    def __repr__(self) -> str:
        return "HmacSigner(<key hidden>)"
