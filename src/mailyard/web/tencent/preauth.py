"""What the Tencent door checks around authentication so that unauthenticated work stays small and bounded,
and a legacy v1 request cannot be replayed.

- Sizes (spec 1.7.4, "Request size limits"): a GET query up to 32 KB and a form body up to 1 MB, as the real
  service; only a TC3 JSON body may use the door's larger cap. Form pairs cost far more to decode than JSON.
- Replays: a v1 request carries a ``Nonce`` (1.7.4); it is remembered per SecretId for as long as the request's
  timestamp stays acceptable, so the same signed request works once. TC3 has no nonce (1.7.2).
"""

from __future__ import annotations

import logging

from starlette.types import Scope

from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.nonces import KeyOverNonceLimit, NonceGuard, NonceGuardUnavailable
from mailyard.web.tencent.errors import TencentError
from mailyard.web.tencent.signature import MAX_CLOCK_SKEW_SECONDS, RequestCredential, SignatureError
from mailyard.web.tencent.wire import WireRequest

MAX_QUERY_BYTES = 32 * 1024
MAX_FORM_BYTES = 1024 * 1024
_JSON = "application/json"

logger = logging.getLogger(__name__)


def check_sizes(wire: WireRequest) -> None:
    """``RequestSizeLimitExceeded`` for a query over 32 KB, or a body other than JSON over 1 MB."""
    if len(wire.raw_query) > MAX_QUERY_BYTES:
        raise TencentError("RequestSizeLimitExceeded", f"The query string is larger than {MAX_QUERY_BYTES} bytes.")
    media_type = (wire.header("content-type") or "").partition(";")[0].strip().lower()
    if media_type != _JSON and len(wire.body) > MAX_FORM_BYTES:
        raise TencentError(
            "RequestSizeLimitExceeded", f"A body other than JSON may hold at most {MAX_FORM_BYTES} bytes."
        )


async def admit_client(gate: ClientGate | None, scope: Scope) -> None:
    """``RequestLimitExceeded.IPLimitExceeded`` once the client address used up its requests for this second."""
    if gate is not None and not await gate.admit(scope):
        raise TencentError("RequestLimitExceeded.IPLimitExceeded", "Too many requests from this address.")


class V1Replays:
    """Accepts each (SecretId, Nonce) of a verified legacy v1 request once."""

    def __init__(self, guard: NonceGuard, window: float = MAX_CLOCK_SKEW_SECONDS) -> None:
        self._guard = guard
        self._window = window

    async def claim(self, credential: RequestCredential, now: float) -> None:
        if credential.nonce is None:
            return
        ttl = credential.timestamp + self._window - now + 1
        try:
            fresh = await self._guard.claim(credential.secret_id, str(credential.nonce), now=now, ttl=ttl)
        except KeyOverNonceLimit:
            raise TencentError("RequestLimitExceeded", "Too many requests with this SecretId; retry later.") from None
        except NonceGuardUnavailable:
            logger.exception("Tencent front door: nonce guard unavailable")
            raise TencentError("ServiceUnavailable", "The service is temporarily unavailable.") from None
        if not fresh:
            raise SignatureError("AuthFailure.SignatureFailure", "The Nonce of this request was used already.")
