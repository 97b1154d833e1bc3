"""Builds the Tencent Cloud SES front door of a running service: the door, its rate limit, and every
action module's handlers merged into one table over the shared services.
"""

from __future__ import annotations

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.doors import Handler, bind_actions
from mailyard.web.guards.nonces import nonce_guard
from mailyard.web.guards.shared import SharedGuards, account_of
from mailyard.web.guards.throttle import DEFAULT_PER_SECOND, ActionThrottle
from mailyard.web.tencent import (
    actions_blacklists,
    actions_identities,
    actions_messages,
    actions_receivers,
    actions_statistics,
    actions_tasks,
    actions_templates,
    actions_unsubscribe,
)
from mailyard.web.tencent.door import TencentFrontDoor
from mailyard.web.tencent.failures import translate_error

NONCE_PREFIX = "mailyard:tencent:nonce:"

ACTION_MODULES = (
    actions_tasks,
    actions_receivers,
    actions_templates,
    actions_identities,
    actions_blacklists,
    actions_unsubscribe,
    actions_messages,
    actions_statistics,
)


def action_table(services: Services) -> dict[str, Handler]:
    """Every action by its exact (case-sensitive) name, bound to the running services."""
    return bind_actions((module.ACTIONS for module in ACTION_MODULES), services)


def create_door(
    services: Services, guards: SharedGuards, *, per_second: int = DEFAULT_PER_SECOND
) -> TencentFrontDoor[Principal]:
    return TencentFrontDoor(
        lookup_secret=guards.keys,
        actions=action_table(services),
        throttle=ActionThrottle(per_second=per_second, redis=guards.redis),
        clock=services.clock,
        account_of=account_of,
        translate_error=translate_error,
        nonce_guard=nonce_guard(guards.redis, NONCE_PREFIX),
        client_gate=guards.clients,
    )
