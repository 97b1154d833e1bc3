"""Builds the Tencent Cloud SES front door of a running service: the door, its rate limit, and every
action module's handlers merged into one table over the shared services.
"""

from __future__ import annotations

from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
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
from mailyard.web.tencent.fields import Handler
from mailyard.web.tencent.secret_cache import CachedSecrets
from mailyard.web.tencent.throttle import DEFAULT_PER_SECOND, ActionThrottle

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
    """Every action by its exact (case-sensitive) name; a name defined twice is a programming error."""
    table: dict[str, Handler] = {}
    for module in ACTION_MODULES:
        handlers = module.actions(services)
        repeated = table.keys() & handlers.keys()
        if repeated:
            raise RuntimeError(f"Tencent actions defined twice: {sorted(repeated)}")
        table.update(handlers)
    return table


def account_of(principal: Principal) -> str:
    """The rate limit counts per account, whichever of its users calls."""
    return str(principal.account_id)


def create_door(
    services: Services, *, redis_url: str | None, per_second: int = DEFAULT_PER_SECOND
) -> TencentFrontDoor[Principal]:
    return TencentFrontDoor(
        lookup_secret=CachedSecrets(services.access.lookup_secret),
        actions=action_table(services),
        throttle=ActionThrottle(per_second=per_second, redis_url=redis_url or None),
        account_of=account_of,
        translate_error=translate_error,
    )
