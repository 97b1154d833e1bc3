"""The doors' key cache: found keys and unknown ids each for a few seconds, both bounded in number."""

from __future__ import annotations

import pytest

from mailyard.web.guards.key_cache import CachedSecrets

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


async def test_an_unknown_id_is_remembered_as_unknown_for_the_ttl() -> None:
    keys, now = Keys(), [0.0]
    cache = CachedSecrets(keys.lookup, ttl_seconds=5, clock=lambda: now[0])
    for _ in range(100):
        assert await cache("AKIDnobody") is None
    assert keys.lookups == 1  # one database lookup for a hundred tries
    keys.known["AKIDnobody"] = ("late", "carol")
    now[0] += 4.9
    assert await cache("AKIDnobody") is None
    now[0] += 0.2  # created since: found once the unknown answer expired
    assert await cache("AKIDnobody") == ("late", "carol")
    assert keys.lookups == 2


async def test_both_memories_are_bounded() -> None:
    keys = Keys()
    cache = CachedSecrets(keys.lookup, max_entries=1, clock=lambda: 0.0)
    await cache("AKIDnobody")
    await cache("AKIDelse")  # pushes AKIDnobody out of the unknown ids
    await cache("AKIDone")
    await cache("AKIDtwo")  # pushes AKIDone out of the found keys
    lookups = keys.lookups
    await cache("AKIDnobody")
    await cache("AKIDone")
    assert keys.lookups == lookups + 2


async def test_without_keep_found_only_unknown_ids_are_remembered() -> None:
    keys = Keys()
    cache = CachedSecrets(keys.lookup, clock=lambda: 0.0, keep_found=False)
    await cache("AKIDone")
    del keys.known["AKIDone"]
    assert await cache("AKIDone") is None  # deleted: refused at once
    await cache("AKIDone")
    assert keys.lookups == 2
