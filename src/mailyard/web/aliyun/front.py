"""Builds the Quick BI front door of a running service: the door, its guards, and the mail task actions bound to
the services."""

from __future__ import annotations

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.aliyun import mail_tasks
from mailyard.web.aliyun.door import AliyunFrontDoor
from mailyard.web.aliyun.failures import translate_error
from mailyard.web.doors import Handler, bind_actions
from mailyard.web.guards.nonces import nonce_guard
from mailyard.web.guards.shared import SharedGuards, account_of
from mailyard.web.guards.throttle import DEFAULT_PER_SECOND, ActionThrottle

NONCE_PREFIX = "mailyard:aliyun:nonce:"
THROTTLE_PREFIX = "mailyard-aliyun"


def action_table(services: Services) -> dict[str, Handler]:
    """Every mail task action by its exact (case-sensitive) name, bound to the running services."""
    return bind_actions([mail_tasks.ACTIONS], services)


def create_door(
    services: Services, guards: SharedGuards, *, per_second: int = DEFAULT_PER_SECOND
) -> AliyunFrontDoor[Principal]:
    return AliyunFrontDoor(
        lookup_secret=guards.keys,
        actions=action_table(services),
        nonce_guard=nonce_guard(guards.redis, NONCE_PREFIX),
        clock=services.clock,
        translate_error=translate_error,
        throttle=ActionThrottle(per_second=per_second, redis=guards.redis, key_prefix=THROTTLE_PREFIX),
        account_of=account_of,
        client_gate=guards.clients,
    )
