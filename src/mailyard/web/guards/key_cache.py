"""A short-lived in-memory cache of access key lookups, shared by the three doors, so a busy client does not
cost a database round trip and a decryption per request, and a made-up key id does not either.

Found keys are kept for ``ttl_seconds`` (5 s by default): a deleted key, or a user whose role changed, is
honoured by this process at most that long after the change. Unknown ids are kept as unknown for as long
(a key created meanwhile is unknown to this process for at most that long after a failed try), so repeating
a made-up SecretId opens no database transaction. Each kind holds at most ``max_entries`` ids, oldest dropped;
new made-up ids are bounded by the per-client limit in front of the doors. With ``keep_found=False`` only the
unknown ids are remembered: the native API, where a key deleted through it must stop working at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

PrincipalT = TypeVar("PrincipalT")
ValueT = TypeVar("ValueT")
DEFAULT_TTL_SECONDS = 5.0
DEFAULT_MAX_ENTRIES = 4096


class _Expiring(Generic[ValueT]):
    """Up to ``max_entries`` values, each until its own deadline; the oldest entry goes first when full."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, ValueT]] = OrderedDict()

    def get(self, key: str, now: float) -> tuple[bool, ValueT | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            return False, None
        return True, entry[1]

    def put(self, key: str, value: ValueT, until: float) -> None:
        self._entries[key] = (until, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)


class CachedSecrets(Generic[PrincipalT]):
    """Wraps ``lookup(secret_id) -> (secret_key, principal) | None`` with a time-bounded memory of both answers."""

    def __init__(
        self,
        lookup: Callable[[str], Awaitable[tuple[str, PrincipalT] | None]],
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        keep_found: bool = True,
    ) -> None:
        self._lookup = lookup
        self._keep_found = keep_found
        self._ttl = ttl_seconds
        self._clock = clock
        self._found: _Expiring[tuple[str, PrincipalT]] = _Expiring(max_entries)
        self._unknown: _Expiring[None] = _Expiring(max_entries)

    async def __call__(self, secret_id: str) -> tuple[str, PrincipalT] | None:
        now = self._clock()
        cached, found = self._found.get(secret_id, now)
        if cached:
            return found
        if self._unknown.get(secret_id, now)[0]:
            return None
        found = await self._lookup(secret_id)
        if found is None:
            self._found.forget(secret_id)
            self._unknown.put(secret_id, None, now + self._ttl)
            return None
        self._unknown.forget(secret_id)
        if self._keep_found:
            self._found.put(secret_id, found, now + self._ttl)
        return found
