"""The door's secret cache: found keys for a few seconds, deleted keys honoured after the TTL, misses never kept."""

from __future__ import annotations

import pytest

from mailyard.web.tencent.secret_cache import CachedSecrets

pytestmark = pytest.mark.timeout(10)


class Keys:
    def __init__(self) -> None:
        self.known = {"AKIDone": ("secret-one", "alice"), "AKIDtwo": ("secret-two", "bob")}
        self.lookups = 0

    async def lookup(self, secret_id: str) -> tuple[str, str] | None:
        self.lookups += 1
        return self.known.get(secret_id)


async def test_a_found_key_is_kept_for_the_ttl_then_looked_up_again() -> None:
    keys, now = Keys(), [100.0]
    cache = CachedSecrets(keys.lookup, ttl_seconds=5, clock=lambda: now[0])
    assert await cache("AKIDone") == ("secret-one", "alice")
    del keys.known["AKIDone"]  # deleted: still honoured until the TTL runs out
    now[0] += 4.9
    assert await cache("AKIDone") == ("secret-one", "alice")
    assert keys.lookups == 1
    now[0] += 0.2
    assert await cache("AKIDone") is None
    assert keys.lookups == 2


async def test_unknown_ids_are_never_kept_and_the_size_is_bounded() -> None:
    keys = Keys()
    cache = CachedSecrets(keys.lookup, max_entries=1, clock=lambda: 0.0)
    assert await cache("AKIDnobody") is None
    keys.known["AKIDnobody"] = ("late", "carol")
    assert await cache("AKIDnobody") == ("late", "carol")  # created since: found at once
    await cache("AKIDtwo")
    lookups = keys.lookups
    await cache("AKIDnobody")  # pushed out by AKIDtwo
    assert keys.lookups == lookups + 1
