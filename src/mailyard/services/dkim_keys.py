"""The DKIM key a run signs with: the one of the sender's domain, decrypted once per run."""

from __future__ import annotations

from mailyard.domain.letters import DkimKey
from mailyard.ports.secrets import SecretCipher
from mailyard.ports.sending import DkimKeyRepositories


async def dkim_key_for(
    repositories: DkimKeyRepositories, cipher: SecretCipher | None, account_id: int, envelope_from: str
) -> DkimKey | None:
    """None when the sender's domain is not one of the account's or has no key (nothing to sign with)."""
    domain = envelope_from.rpartition("@")[2].lower()
    if cipher is None or not domain:
        return None
    found = await repositories.domains.sealed_dkim_key(account_id, domain)
    if found is None:
        return None
    selector, sealed = found
    return DkimKey(domain=domain, selector=selector, private_pem=cipher.decrypt(sealed))
