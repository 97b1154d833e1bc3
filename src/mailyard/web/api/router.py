"""The native API router: every /v1 route."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from mailyard.web.api import (
    routes_access,
    routes_account,
    routes_content,
    routes_events,
    routes_identities,
    routes_outbox,
    routes_single_sends,
    routes_statistics,
    routes_suppressions,
    routes_tasks,
    routes_tracking,
    routes_unsubscribe,
    routes_webhooks,
)
from mailyard.web.api.gate import action_throttle
from mailyard.web.api.limits import refuse_nul_characters
from mailyard.web.guards.throttle import ActionThrottle


def create_router(throttle: ActionThrottle | None) -> APIRouter:
    """Routes reach the services through `app.state.services`, set by create_app; `throttle` limits each route per
    account (None: no limit, for the local operator)."""
    guards = [Depends(refuse_nul_characters)] + ([Depends(action_throttle(throttle))] if throttle else [])
    router = APIRouter(dependencies=guards)
    for module in (
        routes_access,
        routes_account,
        routes_content,
        routes_identities,
        routes_tasks,
        routes_events,
        routes_outbox,
        routes_single_sends,
        routes_statistics,
        routes_suppressions,
        routes_unsubscribe,
        routes_tracking,
        routes_webhooks,
    ):
        router.include_router(module.router)
    return router
