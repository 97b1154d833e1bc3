"""Secrets at rest: access-key secrets and DKIM private keys are stored encrypted only, SMTP passwords as
argon2 hashes only."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text

from mailyard import bootstrap
from mailyard.system.passwords import Argon2PasswordHasher
from mailyard.system.vault import MASTER_KEY_FILE, FernetCipher, load_master_key

SMTP_PASSWORD = "correct horse battery staple"


async def store_every_kind_of_secret(runtime, team) -> None:
    """A DKIM key (with the domain) and an SMTP password, beside the access keys the team already holds."""
    alice = team.admin.principal
    await runtime.services.identities.create_domain(alice, "news.example.com")
    await runtime.services.identities.create_sender(alice, address="hello@news.example.com")
    await runtime.services.identities.set_smtp_password(alice, "hello@news.example.com", SMTP_PASSWORD)


async def sealed_values(runtime) -> dict[str, str]:
    """The stored (sealed) secrets, read with plain SQL."""
    async with runtime.engine.connect() as connection:

        async def one(query: str) -> str:
            return str((await connection.execute(text(query))).scalar_one())

        return {
            "access_key": await one("SELECT sealed_secret FROM access_keys ORDER BY id LIMIT 1"),
            "dkim_key": await one("SELECT sealed_dkim_key FROM sending_domains"),
        }


async def smtp_password_hash(runtime) -> str:
    async with runtime.engine.connect() as connection:
        return str((await connection.execute(text("SELECT smtp_password_hash FROM sender_addresses"))).scalar_one())


def private_fragments(private_pem: str) -> list[bytes]:
    """Byte strings that would show up if the DKIM private key were stored in clear: its private numbers raw,
    and as base64 at each of the three byte alignments (the public modulus is published, so it is left out)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    numbers = key.private_numbers()
    fragments = []
    for number in (numbers.d, numbers.p, numbers.q):
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        fragments.append(raw[8:40])
        for shift in range(3):
            encoded = base64.b64encode(raw[shift:])
            # Two windows 32 characters apart: a PEM line break (every 64) cannot split both.
            fragments.extend((encoded[8:24], encoded[40:56]))
    return fragments


def database_bytes(database: str) -> bytes:
    """The SQLite file with its write-ahead log, shared-memory index and rollback journal, if present."""
    paths = [Path(database + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    return b"".join(path.read_bytes() for path in paths if path.exists())


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_secrets_never_appear_in_clear_in_the_database_files(runtime, team, settings):
    await store_every_kind_of_secret(runtime, team)
    cipher = FernetCipher(load_master_key(None, settings.data_dir))
    dkim_pem = cipher.decrypt((await sealed_values(runtime))["dkim_key"])
    database = runtime.engine.url.database
    assert database is not None

    # Read while the runtime is open (data may sit in the WAL), then again once everything is checkpointed.
    for moment in ("open", "closed"):
        if moment == "closed":
            await runtime.close()
        stored = database_bytes(database)
        assert team.admin.key.secret_id.encode() in stored  # we are reading the right bytes
        for person in (team.admin, *team.members):
            assert person.key.secret_key.encode() not in stored, moment
        assert SMTP_PASSWORD.encode() not in stored, moment
        for fragment in private_fragments(dkim_pem):
            assert fragment not in stored, moment
        assert b"PRIVATE KEY" not in stored, moment


async def test_secrets_decrypt_back_to_what_was_stored(runtime, team, settings):
    await store_every_kind_of_secret(runtime, team)
    sealed = await sealed_values(runtime)
    cipher = FernetCipher(load_master_key(None, settings.data_dir))

    secret, principal = await runtime.services.access.lookup_secret(team.admin.key.secret_id) or ("", None)
    assert secret == team.admin.key.secret_key
    assert principal == team.admin.principal
    assert cipher.decrypt(sealed["access_key"]) == team.admin.key.secret_key
    hashed = await smtp_password_hash(runtime)
    assert hashed.startswith("$argon2id$")
    assert Argon2PasswordHasher().verify(hashed, SMTP_PASSWORD)
    assert not Argon2PasswordHasher().verify(hashed, SMTP_PASSWORD + "!")

    private_key = serialization.load_pem_private_key(cipher.decrypt(sealed["dkim_key"]).encode(), password=None)
    public_der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    domain = await runtime.services.identities.get_domain(team.admin.principal, "news.example.com")
    assert domain.dkim_public_value == "v=DKIM1; k=rsa; p=" + base64.b64encode(public_der).decode()


async def test_another_master_key_cannot_decrypt(runtime, team, settings, clock):
    await store_every_kind_of_secret(runtime, team)
    other_settings = settings.model_copy(update={"master_key": Fernet.generate_key().decode()})
    other = await bootstrap.open_runtime(other_settings, clock=clock)
    try:
        with pytest.raises(ValueError, match="cannot be decrypted with this master key"):
            await other.services.access.lookup_secret(team.admin.key.secret_id)
    finally:
        await other.close()
    sealed = await sealed_values(runtime)
    stranger = FernetCipher(Fernet.generate_key())
    for value in sealed.values():
        with pytest.raises(ValueError, match="cannot be decrypted with this master key"):
            stranger.decrypt(value)
    with pytest.raises(ValueError):
        FernetCipher(load_master_key(None, settings.data_dir)).decrypt(sealed["access_key"][:-4] + "AAAA")


def test_the_master_key_file_is_created_private_and_reused(tmp_path):
    data_dir = tmp_path / "data"
    key = load_master_key(None, data_dir)
    path = data_dir / MASTER_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == key
    assert load_master_key(None, data_dir) == key
    Fernet(key)


def test_a_configured_master_key_writes_no_file_and_a_malformed_one_is_refused(tmp_path):
    configured = Fernet.generate_key()
    assert load_master_key(configured.decode() + "\n", tmp_path) == configured
    assert not (tmp_path / MASTER_KEY_FILE).exists()
    with pytest.raises(ValueError):
        load_master_key("not a fernet key", tmp_path)
