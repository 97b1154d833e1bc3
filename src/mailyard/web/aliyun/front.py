"""Builds the Quick BI front door of a running service."""

from __future__ import annotations

import time

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.aliyun.door import AliyunFrontDoor
from mailyard.web.aliyun.failures import translate_error
from mailyard.web.aliyun.mail_tasks import MailTaskActions
from mailyard.web.guards.nonces import nonce_guard
from mailyard.web.guards.shared import SharedGuards, account_of
from mailyard.web.guards.throttle import DEFAULT_PER_SECOND, ActionThrottle

NONCE_PREFIX = "mailyard:aliyun:nonce:"
THROTTLE_PREFIX = "mailyard-aliyun"


def create_door(
    services: Services, guards: SharedGuards, *, per_second: int = DEFAULT_PER_SECOND
) -> AliyunFrontDoor[Principal]:
    return AliyunFrontDoor(
        lookup_secret=guards.keys,
        actions=MailTaskActions(services).table(),
        nonce_guard=nonce_guard(guards.redis_url, NONCE_PREFIX),
        clock=time.time,
        translate_error=translate_error,
        throttle=ActionThrottle(per_second=per_second, redis_url=guards.redis_url, key_prefix=THROTTLE_PREFIX),
        account_of=account_of,
        client_gate=guards.clients,
    )
