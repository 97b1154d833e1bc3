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
from mailyard.domain.sign_in import SignedIn
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
from mailyard.web.dashboard.error_messages import ShownError, shown_error
from mailyard.web.dashboard.failures import STATUS_BY_CODE
from mailyard.web.dashboard.pages import SECURITY_HEADERS, Pages
from mailyard.web.dashboard.sessions import CookieOptions, SignInRequired, session_if_any

log = logging.getLogger(__name__)
ASSETS = ("dashboard.css", "dashboard.js")
INTERNAL_ERROR = 500
ASSET_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"}


def wants_page(request: Request) -> bool:
    """A browser asking for a page (for `/`, after no cloud door claimed it): it gets the dashboard."""
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")


def sent_by_a_form(request: Request) -> bool:
    """A browser's form post: asking for HTML with a form's body (a raw or JSON body is an API client's)."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return (
        request.method == "POST"
        and "text/html" in request.headers.get("accept", "")
        and content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
    )


def is_page_path(request: Request) -> bool:
    """Not the native API's: /v1 answers in JSON whoever asks."""
    path = request.url.path
    return path != "/v1" and not path.startswith("/v1/")


async def not_found_page(pages: Pages, request: Request, status: int = 404) -> Response:
    """An unknown path asked for by a browser: the dashboard's own 404 page, with the menu when signed in."""
    return pages.render(
        request, "error.html", {"status": 404}, signed_in=await _session_for_error(request), status_code=status
    )


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
                    return await error_response(pages, request, error)
                except RequestValidationError:
                    invalid = errors.InvalidInput("some of the values given are not valid")
                    return await error_response(pages, request, invalid)
                except Exception:
                    log.exception("dashboard request failed")
                    failure = errors.MailyardError("something went wrong on our side")
                    return await error_response(pages, request, failure, status=INTERNAL_ERROR)

            return handle

    return DashboardRoute


async def error_response(
    pages: Pages, request: Request, error: errors.MailyardError, *, status: int | None = None
) -> Response:
    if isinstance(error, SignInRequired) and not _wants_json(request):
        target = request.url.path if request.method == "GET" else "/tasks"
        return RedirectResponse(f"/sign-in?next={quote(target)}", status_code=303)
    code = status or STATUS_BY_CODE.get(error.code, 400)
    headers = dict(SECURITY_HEADERS)
    if isinstance(error, errors.SignInThrottled):
        headers["Retry-After"] = str(error.retry_after_seconds)
    shown = _shown(pages, request, error, code)
    if _wants_json(request):
        message = f"{shown.summary} ({shown.detail})" if shown.detail else shown.summary
        wire_code = "internal_error" if code == INTERNAL_ERROR else error.code
        return JSONResponse({"error": {"code": wire_code, "message": message}}, status_code=code, headers=headers)
    session = await _session_for_error(request)
    context = {"status": code, "error": shown}
    response = pages.render(request, "error.html", context, signed_in=session, status_code=code)
    response.headers.update(headers)
    return response


def _shown(pages: Pages, request: Request, error: errors.MailyardError, status: int) -> ShownError:
    """The error in the person's language; a failure on our side says nothing of its cause."""
    if status == INTERNAL_ERROR:
        return ShownError(summary=pages.gettext(request, "Something went wrong"), detail="")
    return shown_error(error, lambda message: pages.gettext(request, message))


async def _session_for_error(request: Request) -> SignedIn | None:
    """Who is signed in, for the menu of an error page; an error page never fails for want of it."""
    try:
        return await session_if_any(request)
    except Exception:
        log.exception("the session of an error page could not be read")
        return None


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")
