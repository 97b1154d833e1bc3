"""Cryptography the core asks for without knowing how it is done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol


class SecretCipher(Protocol):
    """Encrypts secrets (access keys, DKIM keys, SMTP passwords) before they reach the store."""

    def encrypt(self, plain: str) -> str: ...
    def decrypt(self, token: str) -> str: ...


class TokenSigner(Protocol):
    """Authenticates short messages (the tokens of links in mail) with keys the store never sees: made under
    the newest key, accepted under every key still held, so rotating keys breaks no link already sent."""

    def sign(self, message: bytes) -> bytes:
        """A MAC of `message` under the newest key; the same message always gets the same MAC."""
        ...

    def verify(self, message: bytes, mac: bytes) -> bool:
        """Whether `mac`, or a MAC truncated to its length, is the MAC of `message` under any key held (in
        constant time; too short a `mac` never is)."""
        ...

    def generations(self) -> Sequence[Callable[[bytes], bytes]]:
        """`sign` under each key held, newest first: for tokens whose reading needs the key that made them."""
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
