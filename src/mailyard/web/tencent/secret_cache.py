"""A short-lived in-memory cache of secret lookups, so a busy client does not cost a database round trip
and a decryption per request.

Only found keys are kept, each for ``ttl_seconds`` (5 s by default): a deleted key, or a user whose role
changed, is honoured by this process at most that long after the change. Unknown ids are never kept, so a
flood of made-up SecretIds cannot grow the cache; it holds at most ``max_entries`` keys (oldest dropped).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

PrincipalT = TypeVar("PrincipalT")
DEFAULT_TTL_SECONDS = 5.0
DEFAULT_MAX_ENTRIES = 4096


class CachedSecrets(Generic[PrincipalT]):
    """Wraps ``lookup(secret_id) -> (secret_key, principal) | None`` with a time-bounded memory."""

    def __init__(
        self,
        lookup: Callable[[str], Awaitable[tuple[str, PrincipalT] | None]],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, tuple[str, PrincipalT]]] = OrderedDict()

    async def __call__(self, secret_id: str) -> tuple[str, PrincipalT] | None:
        now = self._clock()
        entry = self._entries.get(secret_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        found = await self._lookup(secret_id)
        if found is None:
            self._entries.pop(secret_id, None)
            return None
        self._entries[secret_id] = (now + self._ttl, found)
        self._entries.move_to_end(secret_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return found
