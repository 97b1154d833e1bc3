"""At rest: a private data directory and database, a warning on a loose master key file, and
`mailyard keys rotate-master` re-encrypting every secret under a new key with nothing lost midway."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from tests.services.test_encryption import sealed_values, store_every_kind_of_secret

from mailyard import bootstrap
from mailyard.services.key_rotation import KeyRotation
from mailyard.settings import Settings
from mailyard.system.signing import HmacSigner
from mailyard.system.vault import MASTER_KEY_FILE, RETIRED_KEYS_FILE, FernetCipher, MasterKeyRing

pytestmark = pytest.mark.timeout(90)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _every_secret_reads(settings: Settings, team: Any) -> None:
    """A process started now reads every kind of secret."""
    fresh = await bootstrap.open_runtime(settings, upgrade_schema=False)
    try:
        for person in (team.admin, *team.members):
            assert await fresh.services.access.authenticate(*person.auth)
        cipher = FernetCipher(MasterKeyRing(None, settings.data_dir))
        sealed = await sealed_values(fresh)
        assert "PRIVATE KEY" in cipher.decrypt(sealed["dkim_key"])
    finally:
        await fresh.close()


async def test_rotation_interrupted_then_finished_loses_nothing(
    runtime: bootstrap.Runtime, settings: Settings, team: Any
) -> None:
    await store_every_kind_of_secret(runtime, team)
    key_file = settings.data_dir / MASTER_KEY_FILE
    old_key = key_file.read_bytes().strip()
    before = await sealed_values(runtime)

    ring = MasterKeyRing(None, settings.data_dir)
    assert ring.begin_rotation()
    await KeyRotation(runtime.store, FernetCipher(ring)).reseal_batch(None, limit=1)  # then the process dies
    assert ring.keys()[1] == old_key and _mode(key_file) == 0o600
    await _every_secret_reads(settings, team)

    resealed, finished = await bootstrap.rotate_master_key(settings)  # run again: it carries on
    assert finished and resealed == len(team.members) + 1 + 1 - 1  # keys and the DKIM key, but the one moved before
    new_keys = key_file.read_bytes().split()
    assert len(new_keys) == 1 and new_keys[0] != old_key and _mode(key_file) == 0o600
    after = await sealed_values(runtime)
    assert all(after[kind] != before[kind] for kind in before)
    with pytest.raises(ValueError):
        FernetCipher(old_key).decrypt(after["dkim_key"])
    await _every_secret_reads(settings, team)
    # A process started before the rotation reads the new key file when a secret no longer opens.
    assert await runtime.services.access.authenticate(*team.admin.auth)


def test_rotate_master_command(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    env["MAILYARD_DATA_DIR"] = str(tmp_path / "data")

    def mailyard(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "mailyard", *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    mailyard("keys", "create", "--account", "acme", "--user", "alice", "--json")
    old_key = (tmp_path / "data" / MASTER_KEY_FILE).read_bytes()
    output = mailyard("keys", "rotate-master")
    assert "1 secrets re-encrypted" in output and "removed" in output and "forget-retired" in output
    assert (tmp_path / "data" / MASTER_KEY_FILE).read_bytes() != old_key


def test_a_configured_ring_of_one_key_cannot_rotate(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NEW_KEY,OLD_KEY"):
        MasterKeyRing(Fernet.generate_key().decode(), tmp_path).begin_rotation()


async def test_data_directory_and_database_are_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh" / "data", identity_verification="trust")
    opened = await bootstrap.open_runtime(settings)
    try:
        await opened.services.access.issue_key(account_name="acme", nickname="alice")
    finally:
        await opened.close()
    data = settings.data_dir
    assert _mode(data) == 0o700
    assert _mode(data / MASTER_KEY_FILE) == 0o600
    for name in ("mailyard.db", "mailyard.db-wal", "mailyard.db-shm"):
        if (data / name).exists():
            assert _mode(data / name) == 0o600, name


def test_a_loose_master_key_file_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key_file = tmp_path / MASTER_KEY_FILE
    key_file.write_bytes(Fernet.generate_key())
    key_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        MasterKeyRing(None, tmp_path)
    assert "open to other users (mode 644)" in caplog.text
    assert key_file.read_bytes().decode() not in caplog.text


def test_link_tokens_are_signed_under_the_newest_key_and_read_under_every_key_held(tmp_path: Path) -> None:
    ring = MasterKeyRing(None, tmp_path)
    before = HmacSigner(ring, purpose="links")  # a process started before the rotation
    old_mac = before.sign(b"message")
    ring.begin_rotation()
    after = HmacSigner(MasterKeyRing(None, tmp_path), purpose="links")
    new_mac = after.sign(b"message")
    assert new_mac != old_mac
    assert after.verify(b"message", old_mac) and after.verify(b"message", old_mac[:8])
    assert before.verify(b"message", new_mac[:9])  # sees the rotated file when a token does not verify
    ring.finish_rotation()
    assert (tmp_path / RETIRED_KEYS_FILE).read_bytes().strip() == ring.link_keys()[1]
    assert _mode(tmp_path / RETIRED_KEYS_FILE) == 0o600
    finished = HmacSigner(MasterKeyRing(None, tmp_path), purpose="links")
    assert finished.sign(b"message") == new_mac and finished.verify(b"message", old_mac)
    for refused in (b"", old_mac[:7], bytes(32), new_mac[:-1] + bytes([new_mac[-1] ^ 1])):
        assert not finished.verify(b"message", refused)
    assert not finished.verify(b"other message", old_mac)
    assert not HmacSigner(MasterKeyRing(None, tmp_path), purpose="other").verify(b"message", new_mac)

    ring.forget_retired()
    assert not HmacSigner(MasterKeyRing(None, tmp_path), purpose="links").verify(b"message", old_mac)
    assert not ring.forget_retired()


def test_a_second_rotation_keeps_every_retired_key(tmp_path: Path) -> None:
    ring = MasterKeyRing(None, tmp_path)
    first = ring.keys()[0]
    for _ in range(2):
        ring.begin_rotation()
        ring.finish_rotation()
    held = ring.link_keys()
    assert len(held) == 3 and held[-1] == first and len(ring.keys()) == 1


def test_forget_retired_command(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAILYARD_")}
    env["MAILYARD_DATA_DIR"] = str(tmp_path / "data")
    ring = MasterKeyRing(None, tmp_path / "data")
    ring.begin_rotation()
    ring.finish_rotation()
    command = [sys.executable, "-m", "mailyard", "keys", "forget-retired"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "deleted" in first.stdout and "no retired" in second.stdout
    assert not (tmp_path / "data" / RETIRED_KEYS_FILE).exists()
