"""The argon2 password hasher: salted, verifiable, and safe on garbage."""

from __future__ import annotations

from argon2 import PasswordHasher as Argon2Hasher

from mailyard.system.passwords import Argon2PasswordHasher


def fast_hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher(Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_a_hash_verifies_its_password_only() -> None:
    hasher = fast_hasher()
    stored = hasher.hash("correct horse")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert hasher.verify(stored, "correct horse")
    assert not hasher.verify(stored, "correct horsf")


def test_two_hashes_of_one_password_differ() -> None:
    hasher = fast_hasher()
    assert hasher.hash("same") != hasher.hash("same")


def test_garbage_in_the_store_never_verifies() -> None:
    hasher = fast_hasher()
    assert not hasher.verify("not a hash", "anything")
    assert not hasher.verify("", "")
    assert hasher.needs_rehash("not a hash")


def test_weaker_parameters_ask_for_a_rehash() -> None:
    weak = fast_hasher().hash("pw")
    assert Argon2PasswordHasher().needs_rehash(weak)
