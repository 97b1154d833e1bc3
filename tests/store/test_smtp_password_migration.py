"""Migration 0010: SMTP passwords stored encrypted before it become argon2 hashes; none is left reversible, and
one that cannot be opened is dropped (to be set again) rather than kept."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import text

from mailyard import bootstrap
from mailyard.store import engine as engines
from mailyard.store import migrate
from mailyard.system.passwords import Argon2PasswordHasher
from mailyard.system.vault import FernetCipher

NOW = "2026-03-02 01:00:00"


async def test_encrypted_smtp_passwords_become_hashes(empty_database_url: str) -> None:
    cipher, stranger = FernetCipher(Fernet.generate_key()), FernetCipher(Fernet.generate_key())
    engine = engines.create_engine(empty_database_url)
    try:
        await migrate.upgrade(engine, "0009")
        async with engine.begin() as connection:
            await connection.execute(
                text(f"INSERT INTO accounts (id, name, time_zone, created_at) VALUES (1, 'acme', 'UTC', '{NOW}')")
            )
            await connection.execute(
                text(
                    "INSERT INTO sending_domains (id, account_id, domain, verified, dkim_selector, dkim_public_value,"
                    f" sealed_dkim_key, created_at) VALUES (1, 1, 'news.example.com', true, 's', 'v', 'k', '{NOW}')"
                )
            )
            for number, sealed in ((1, cipher.encrypt("kept password")), (2, stranger.encrypt("other key"))):
                await connection.execute(
                    text(
                        "INSERT INTO sender_addresses (id, account_id, domain_id, address, display_name,"
                        f" sealed_smtp_password, created_at) VALUES (:id, 1, 1, :address, '', :sealed, '{NOW}')"
                    ),
                    {"id": number, "address": f"s{number}@news.example.com", "sealed": sealed},
                )
        passwords = Argon2PasswordHasher()
        await migrate.upgrade(engine, smtp_password_rehash=bootstrap.rehash_sealed(cipher, passwords))
        async with engine.connect() as connection:
            rows = (
                await connection.execute(text("SELECT address, smtp_password_hash FROM sender_addresses ORDER BY id"))
            ).all()
    finally:
        await engine.dispose()
    (first, kept), (second, dropped) = rows
    assert (first, second) == ("s1@news.example.com", "s2@news.example.com")
    assert passwords.verify(kept, "kept password") and not passwords.verify(kept, "other")
    assert dropped is None
