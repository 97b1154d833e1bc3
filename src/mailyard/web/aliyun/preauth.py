"""What the Quick BI door checks around authentication: the client limit before it, and after it the nonce
(per access key) and the per-action rate limit (per account), each answered in Alibaba's own words."""

from __future__ import annotations

import logging
from typing import Protocol

from starlette.types import Scope

from mailyard.web.aliyun.errors import AliyunError, service_unavailable
from mailyard.web.aliyun.signature import Credential, SignatureError
from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.nonces import KeyOverNonceLimit, NonceGuard, NonceGuardUnavailable

RETRY_AFTER_MS = 1000

logger = logging.getLogger(__name__)


class Throttle(Protocol):
    async def allow(self, account: str, action: str) -> bool: ...


def throttled(message: str = "Request was denied due to user flow control.") -> AliyunError:
    """``Throttling.User`` with a retry hint, which the SDK raises as ``ThrottlingException`` (spec 2.4.4)."""
    return AliyunError("Throttling.User", message, 400, retry_after_ms=RETRY_AFTER_MS)


async def admit_client(gate: ClientGate | None, scope: Scope) -> None:
    if gate is not None and not await gate.admit(scope):
        raise throttled("Request was denied: too many requests from this address.")


async def claim_nonce(guard: NonceGuard, credential: Credential, now: float, window: float) -> None:
    """Scoped per access key, and only for verified requests, so nobody can burn another caller's nonce. Kept
    until the request's own timestamp leaves the window; from then on the time check refuses it."""
    ttl = credential.timestamp + window - now + 1
    try:
        fresh = await guard.claim(credential.access_key_id, credential.nonce, now=now, ttl=ttl)
    except KeyOverNonceLimit:
        raise throttled() from None
    except NonceGuardUnavailable:
        logger.exception("nonce guard unavailable")
        raise service_unavailable() from None
    if not fresh:
        raise SignatureError("SignatureNonceUsed", "Specified signature nonce was used already.")


async def check_rate(throttle: Throttle | None, account: str, action: str) -> None:
    if throttle is not None and not await throttle.allow(account, action):
        raise throttled()
