"""The `PasswordHasher` port over argon2-cffi: slow, salted hashes for passwords people and SMTP clients type.

Passwords are never stored reversibly. A hash made with older parameters is re-made on the next good login
(`needs_rehash`), so raising the cost later needs no migration.
"""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2PasswordHasher:
    """argon2id with the library's recommended parameters (RFC 9106, low-memory profile)."""

    def __init__(self, hasher: Argon2Hasher | None = None) -> None:
        self._hasher = hasher or Argon2Hasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True when `password` matches; False for a wrong password or a stored value that is not a hash."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def __repr__(self) -> str:
        return "Argon2PasswordHasher()"
