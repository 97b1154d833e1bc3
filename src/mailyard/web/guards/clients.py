"""Per-client limit, counted before authentication: how many requests one client address may make per second.

It bounds the work anybody can cause before a signature or key is checked (reading and decoding a body,
looking a key up), so one client cannot take the shared event loop from everyone else. Counts are kept in
this process: the point is to protect this process, and it costs no round trip. Behind a proxy, run the
server with the proxy's forwarded headers trusted, or every client counts as the proxy.
"""

from __future__ import annotations

import ipaddress

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import Scope

DEFAULT_PER_SECOND = 100
_IPV6_PREFIX = 64  # one subscriber usually holds a whole /64: counting single addresses would be no limit


class ClientGate:
    """``admit(scope)`` counts one request of the scope's client; False once it used up this second."""

    def __init__(self, per_second: int = DEFAULT_PER_SECOND) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._item = RateLimitItemPerSecond(per_second, namespace="mailyard-client")

    async def admit(self, scope: Scope) -> bool:
        return await self._limiter.hit(self._item, client_of(scope))


def client_of(scope: Scope) -> str:
    """The address a request came from, IPv6 reduced to its /64; unknown for a server-less (in-process) call."""
    client = scope.get("client")
    if not client:
        return "unknown"
    host = str(client[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.IPv6Network((address, _IPV6_PREFIX), strict=False))
    return str(address)
