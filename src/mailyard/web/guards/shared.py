"""What every door of one app shares around authentication, built once by the app and handed to each door."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from mailyard.domain.accounts import Principal
from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.key_cache import CachedSecrets


@dataclass(frozen=True)
class SharedGuards:
    """The cloud doors' key lookup (cached, unknown ids too), the per-client limit, and the Redis that rate
    limits and nonce guards share across processes (None: this process only). The Redis client is the
    process's one, built and closed by the composition root."""

    keys: CachedSecrets[Principal]
    clients: ClientGate
    redis: Redis | None


def account_of(principal: Principal) -> str:
    """Rate limits count per account, whichever of its users calls."""
    return str(principal.account_id)
