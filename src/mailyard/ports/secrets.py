"""Cryptography the core asks for without knowing how it is done."""

from __future__ import annotations

from typing import Protocol


class SecretCipher(Protocol):
    """Encrypts secrets (access keys, DKIM keys, SMTP passwords) before they reach the store."""

    def encrypt(self, plain: str) -> str: ...
    def decrypt(self, token: str) -> str: ...


class TokenSigner(Protocol):
    """Authenticates short messages (unsubscribe links) with a key the store never sees."""

    def sign(self, message: bytes) -> bytes:
        """A MAC of `message`; the same message always gets the same MAC."""
        ...


class PasswordHasher(Protocol):
    """Slow salted hashes for passwords (dashboard users, SMTP submission); never reversible."""

    def hash(self, password: str) -> str: ...

    def verify(self, stored_hash: str, password: str) -> bool: ...

    def needs_rehash(self, stored_hash: str) -> bool: ...
