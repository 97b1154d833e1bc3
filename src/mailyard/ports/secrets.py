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


class SecretResealer(Protocol):
    """Moves stored secrets to the newest master key (`mailyard keys rotate-master`)."""

    def reseal(self, token: str) -> str:
        """The same secret under the newest key; `token` itself when it already is."""
        ...

    def is_current(self, token: str) -> bool: ...


#: where a sealed value sits in the store: (which sealed column, row id), ordered as the store walks them
SealedPlace = tuple[int, int]


class SealedSecrets(Protocol):
    """Every sealed value in the store (access-key secrets, DKIM keys, webhook secrets), walked in order."""

    async def page(self, after: SealedPlace | None, limit: int) -> list[tuple[SealedPlace, str]]: ...
    async def replace(self, place: SealedPlace, old: str, new: str) -> bool:
        """Write `new` where `old` still is (a value changed meanwhile is left alone); True when written."""
        ...


class SealedRepositories(Protocol):
    @property
    def sealed(self) -> SealedSecrets: ...
