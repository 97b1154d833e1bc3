"""The dashboard's front: its router, how its errors look to a person, and which `/` requests are its."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute

from mailyard import errors
from mailyard.web.dashboard import (
    routes_admin,
    routes_content,
    routes_identities,
    routes_lists,
    routes_outbox,
    routes_reports,
    routes_sign_in,
    routes_tasks,
    routes_webhooks,
)
from mailyard.web.dashboard.failures import STATUS_BY_CODE
from mailyard.web.dashboard.pages import SECURITY_HEADERS, Pages
from mailyard.web.dashboard.sessions import CookieOptions, SignInRequired

log = logging.getLogger(__name__)
ASSETS = ("dashboard.css", "dashboard.js")
ASSET_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}


def wants_page(request: Request) -> bool:
    """A browser asking for `/` (no cloud door claimed it): it gets the dashboard."""
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def home() -> Response:
    return RedirectResponse("/tasks", status_code=303)


def create_router(pages: Pages, cookies: CookieOptions) -> APIRouter:
    router = APIRouter(route_class=_route_class(pages), include_in_schema=False)
    assets = {name: resources.files("mailyard.web.dashboard").joinpath("static", name).read_bytes() for name in ASSETS}

    @router.get("/assets/{name}")
    async def asset(name: str) -> Response:
        if name not in assets:
            return Response(status_code=404)
        kind = ASSET_TYPES[name.rsplit(".", 1)[1]]
        return Response(assets[name], media_type=kind, headers={"Cache-Control": "no-cache"})

    modules = (routes_sign_in, routes_tasks, routes_lists, routes_content, routes_outbox, routes_reports)
    for module in (*modules, routes_identities, routes_webhooks, routes_admin):
        module.add_routes(router, pages, cookies)
    return router


def _route_class(pages: Pages) -> type[APIRoute]:
    class DashboardRoute(APIRoute):
        """Errors become pages (or JSON for our scripts) in the person's language, never a traceback."""

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    return await handler(request)
                except errors.MailyardError as error:
                    return _error_response(pages, request, error)
                except RequestValidationError:
                    invalid = errors.InvalidInput("some values in the request are not valid")
                    return _error_response(pages, request, invalid)
                except Exception:
                    log.exception("dashboard request failed")
                    failure = errors.MailyardError("something went wrong on our side")
                    return _error_response(pages, request, failure, status=500)

            return handle

    return DashboardRoute


def _error_response(
    pages: Pages, request: Request, error: errors.MailyardError, *, status: int | None = None
) -> Response:
    if isinstance(error, SignInRequired) and not _wants_json(request):
        target = request.url.path if request.method == "GET" else "/tasks"
        return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)
    code = status or STATUS_BY_CODE.get(error.code, 400)
    headers = dict(SECURITY_HEADERS)
    if isinstance(error, errors.SignInThrottled):
        headers["Retry-After"] = str(error.retry_after_seconds)
    if _wants_json(request):
        body = {"error": {"code": error.code, "message": error.message}}
        return JSONResponse(body, status_code=code, headers=headers)
    response = pages.render(request, "error.html", {"status": code, "message": error.message}, status_code=code)
    response.headers.update(headers)
    return response


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")
