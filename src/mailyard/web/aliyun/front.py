"""Builds the Quick BI front door of a running service."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.aliyun.door import AliyunFrontDoor
from mailyard.web.aliyun.failures import translate_error
from mailyard.web.aliyun.mail_tasks import MailTaskActions
from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.nonces import nonce_guard
from mailyard.web.guards.throttle import DEFAULT_PER_SECOND, ActionThrottle

NONCE_PREFIX = "mailyard:aliyun:nonce:"
THROTTLE_PREFIX = "mailyard-aliyun"


def account_of(principal: Principal) -> str:
    """The rate limit counts per account, whichever of its users calls."""
    return str(principal.account_id)


def create_door(
    services: Services,
    *,
    redis_url: str | None,
    per_second: int = DEFAULT_PER_SECOND,
    lookup_secret: Callable[[str], Awaitable[tuple[str, Principal] | None]] | None = None,
    client_gate: ClientGate | None = None,
) -> AliyunFrontDoor[Principal]:
    return AliyunFrontDoor(
        lookup_secret=lookup_secret or services.access.lookup_secret,
        actions=MailTaskActions(services).table(),
        nonce_guard=nonce_guard(redis_url, NONCE_PREFIX),
        clock=time.time,
        translate_error=translate_error,
        throttle=ActionThrottle(per_second=per_second, redis_url=redis_url or None, key_prefix=THROTTLE_PREFIX),
        account_of=account_of,
        client_gate=client_gate,
    )
