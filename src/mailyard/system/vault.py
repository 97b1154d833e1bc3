"""Encryption of secrets at rest (Fernet), with a master key from settings or a 0600 file."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

MASTER_KEY_FILE = "master.key"


class FernetCipher:
    """The `SecretCipher` port: authenticated encryption, so tampered tokens are refused."""

    def __init__(self, master_key: bytes) -> None:
        self._fernet = Fernet(master_key)

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise ValueError("a stored secret cannot be decrypted with this master key") from error


def load_master_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key, or the one in the data directory, created there (mode 0600) on first use."""
    if configured:
        key = configured.strip().encode()
        Fernet(key)  # fails early on a malformed key
        return key
    path = data_dir / MASTER_KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key
