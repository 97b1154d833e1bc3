"""Encryption of secrets at rest (Fernet) under a ring of master keys, newest first.

The ring comes from MAILYARD_MASTER_KEY (comma-separated keys) or from the key file in the data directory
(one key a line, created with mode 0600 on first use). Secrets are encrypted under the newest key and read
under any, so a rotation (`mailyard keys rotate-master`) can re-encrypt them one by one while every process
keeps reading both the old and the new ones.

A finished rotation moves the old keys of the key file to a file of retired keys, which only authenticates the
tokens of links in mail already sent (return paths, tracking, unsubscribe): never a secret. `mailyard keys
forget-retired` deletes it once those links may stop working (at once when an old key leaked).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

logger = logging.getLogger(__name__)

MASTER_KEY_FILE = "master.key"
RETIRED_KEYS_FILE = "master.key.retired"
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class MasterKeyRing:
    """The master keys, newest first; a key file is read again whenever it changes on disk."""

    def __init__(self, configured: str | None, data_dir: Path) -> None:
        self._configured = _parse(configured) if configured else None
        self.path = data_dir / MASTER_KEY_FILE
        self.retired_path = data_dir / RETIRED_KEYS_FILE
        self._seen: tuple[int, int] | None = None
        self._keys: tuple[bytes, ...] = ()
        self._retired_seen: tuple[int, int] | None = None
        self._retired: tuple[bytes, ...] = ()
        if self._configured is None:
            _ensure_key_file(self.path)
            _warn_if_loose(self.path)

    @property
    def from_file(self) -> bool:
        return self._configured is None

    def keys(self) -> tuple[bytes, ...]:
        if self._configured is not None:
            return self._configured
        status = self.path.stat()
        seen = (status.st_mtime_ns, status.st_size)
        if seen != self._seen:
            self._keys, self._seen = _parse(self.path.read_text()), seen
        return self._keys

    def link_keys(self) -> tuple[bytes, ...]:
        """Every key whose link tokens are still accepted: the ring's, newest first, then the retired ones."""
        if self._configured is not None:
            return self._configured
        try:
            status = self.retired_path.stat()
        except FileNotFoundError:
            self._retired_seen, self._retired = None, ()
        else:
            seen = (status.st_mtime_ns, status.st_size)
            if seen != self._retired_seen:
                self._retired, self._retired_seen = _parse(self.retired_path.read_text()), seen
        current = self.keys()
        return current + tuple(key for key in self._retired if key not in current)

    def begin_rotation(self) -> bool:
        """Put a new key in front of the file's keys, unless a rotation is already under way; True when a new
        key was added. A configured ring must already list the new key first and the old ones after it."""
        if self._configured is not None:
            if len(self._configured) < 2:
                raise ValueError(
                    "MAILYARD_MASTER_KEY holds one key: set it to NEW_KEY,OLD_KEY (a new Fernet key first) to rotate"
                )
            return False
        if len(self.keys()) > 1:
            return False  # resumed: the new key is already in front
        _write_private(self.path, [Fernet.generate_key(), *self.keys()])
        return True

    def finish_rotation(self) -> None:
        """Keep only the newest key in the file (a configured ring is the operator's to shorten); the others
        join the retired keys first, so a process killed in between leaves every key somewhere."""
        if self._configured is None:
            newest, *older = self.link_keys()
            if older:
                _write_private(self.retired_path, older)
            _write_private(self.path, [newest])

    def forget_retired(self) -> bool:
        """Delete the retired keys: links signed under them stop working. True when there were some."""
        if self.retired_path.exists():
            self.retired_path.unlink()
            return True
        return False


class FernetCipher:
    """The `SecretCipher` port: authenticated encryption, so tampered tokens are refused.

    With a key ring, a token no key can read makes the ring be read again once: another process may have just
    rotated the key file.
    """

    def __init__(self, keys: bytes | Sequence[bytes] | MasterKeyRing) -> None:
        self._ring: MasterKeyRing | None = None
        if isinstance(keys, MasterKeyRing):
            self._ring, self._keys = keys, keys.keys()
        else:
            self._keys = (keys,) if isinstance(keys, bytes) else tuple(keys)
        self._fernet = MultiFernet([Fernet(key) for key in self._keys])

    def encrypt(self, plain: str) -> str:
        self._refresh()
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            if self._refresh():
                return self.decrypt(token)
            raise ValueError("a stored secret cannot be decrypted with this master key") from None

    def reseal(self, token: str) -> str:
        """The same secret encrypted under the newest key (unchanged when it already is)."""
        self._refresh()
        if self.is_current(token):
            return token
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise ValueError("a stored secret cannot be decrypted with any master key") from None

    def is_current(self, token: str) -> bool:
        """True when the newest key alone reads `token`."""
        try:
            Fernet(self._keys[0]).decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    def _refresh(self) -> bool:
        """Rebuild from the ring when its keys changed; True when they did."""
        if self._ring is None or self._ring.keys() == self._keys:
            return False
        self._keys = self._ring.keys()
        self._fernet = MultiFernet([Fernet(key) for key in self._keys])
        return True


def load_master_key(configured: str | None, data_dir: Path) -> bytes:
    """The newest master key: the configured one, or the key file's, created (mode 0600) on first use."""
    return MasterKeyRing(configured, data_dir).keys()[0]


def make_private_directory(path: Path) -> None:
    """Create a directory only its owner can enter; an existing one is left as it is, with a warning if loose."""
    if not path.exists():
        path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True)
        os.chmod(path, PRIVATE_DIRECTORY_MODE)  # mkdir's mode is filtered by the umask
        return
    _warn_if_loose(path)


def _parse(text: str) -> tuple[bytes, ...]:
    keys = tuple(part.strip().encode() for part in text.replace(",", "\n").splitlines() if part.strip())
    if not keys:
        raise ValueError("no master key given")
    for key in keys:
        Fernet(key)  # fails early on a malformed key
    return keys


def _ensure_key_file(path: Path) -> None:
    if path.exists():
        return
    make_private_directory(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(Fernet.generate_key())


def _write_private(path: Path, keys: Sequence[bytes]) -> None:
    """Replace the file atomically: a process killed meanwhile leaves the old file or the new one, whole."""
    staging = path.with_name(path.name + ".new")
    staging.unlink(missing_ok=True)
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(b"\n".join(keys) + b"\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(staging, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _warn_if_loose(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning(
            "%s is open to other users (mode %o): chmod %s it", path, mode, "700" if path.is_dir() else "600"
        )
