"""The native API router: every /v1 route."""

from __future__ import annotations

from fastapi import APIRouter

from mailyard.web.api import routes_access, routes_content, routes_identities, routes_tasks


def create_router() -> APIRouter:
    """Routes reach the services through `app.state.services`, set by create_app."""
    router = APIRouter()
    for module in (routes_access, routes_content, routes_identities, routes_tasks):
        router.include_router(module.router)
    return router
