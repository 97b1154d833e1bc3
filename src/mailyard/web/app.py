"""The ASGI application: the native API under /v1 and the cloud front doors on `/`, on one port."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from starlette.exceptions import HTTPException

from mailyard import __version__
from mailyard.domain.accounts import Principal
from mailyard.services.container import Services
from mailyard.web.aliyun import front as aliyun_front
from mailyard.web.api.errors import install_error_handlers
from mailyard.web.api.gate import ApiGate
from mailyard.web.api.limits import BodySizeLimit
from mailyard.web.api.router import create_router
from mailyard.web.dashboard import front as dashboard_front
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import CookieOptions
from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.key_cache import CachedSecrets
from mailyard.web.guards.shared import SharedGuards
from mailyard.web.guards.throttle import ActionThrottle
from mailyard.web.tencent import front as tencent_front
from mailyard.web.tracking import routes as tracking_routes
from mailyard.web.unsubscribe import routes as unsubscribe_routes

#: the request scope key under which the cloud dispatcher notes the door that took a request (for metrics)
DOOR_SCOPE_KEY = "mailyard.door"


@dataclass(frozen=True, kw_only=True)
class WebOptions:
    max_body_bytes: int = 8 * 1024 * 1024
    max_import_bytes: int = 1024 * 1024 * 1024  #: a streamed recipient import (spooled to disk)
    tencent_rate_limit: int = 20  #: requests/s per action per account
    aliyun_rate_limit: int = 20  #: requests/s per action per account
    api_rate_limit: int = 20  #: requests/s per route per account
    client_rate_limit: int = 100  #: requests/s per client address, before authentication
    secure_cookies: bool = False  #: the dashboard is reached over HTTPS (MAILYARD_PUBLIC_URL says so)
    session_seconds: int = 12 * 3600  #: how long a dashboard session lasts


class FrontDoor(Protocol):
    """A cloud API served on `/`; the first door that claims a request handles it."""

    def claims(self, request: Request) -> bool: ...
    async def handle(self, request: Request) -> Response: ...


def cloud_doors(services: Services, options: WebOptions, guards: SharedGuards) -> list[FrontDoor]:
    """The cloud front doors, in the order they are asked whether a request is theirs."""
    return [
        aliyun_front.create_door(services, guards, per_second=options.aliyun_rate_limit),
        tencent_front.create_door(services, guards, per_second=options.tencent_rate_limit),
    ]


def door_name(door: FrontDoor) -> str:
    """`tencent` or `aliyun`: the package the door lives in."""
    return type(door).__module__.split(".")[-2]


def _mount_native_api(
    app: FastAPI, services: Services, options: WebOptions, guards: SharedGuards, operator: Principal | None
) -> None:
    app.add_middleware(
        BodySizeLimit,
        max_bytes=options.max_body_bytes,
        prefix="/v1",
        upload_suffixes=("/recipients.csv",),
        max_upload_bytes=options.max_import_bytes,
    )
    # /v1 remembers only unknown ids: a key deleted through it must stop working there at once. Added last,
    # the gate runs first: nothing is read before the caller is authenticated.
    native_keys = CachedSecrets(services.access.lookup_secret, keep_found=False)
    app.add_middleware(ApiGate, lookup=native_keys, client_gate=guards.clients, prefix="/v1", operator=operator)
    install_error_handlers(app)
    throttle = ActionThrottle(per_second=options.api_rate_limit, redis=guards.redis, key_prefix="mailyard-api")
    app.include_router(create_router(None if operator else throttle), prefix="/v1")


def _show_unknown_paths_to_browsers(app: FastAPI, pages: Pages, doors: Sequence[FrontDoor]) -> None:
    """A browser asking for a path nothing serves, or posting a form to it, gets the dashboard's 404 page; API
    clients (/v1, a cloud door's request, anything not asking for HTML) keep the native API's JSON answer."""
    answer_in_json = app.exception_handlers[HTTPException]

    async def unknown_path(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        # A form post looks like a Tencent v1 call to its door; no SDK asks for HTML, a browser does.
        asks_for_page = dashboard_front.sent_by_a_form(request) or (
            dashboard_front.wants_page(request) and not any(door.claims(request) for door in doors)
        )
        if error.status_code in (404, 405) and asks_for_page and dashboard_front.is_page_path(request):
            return await dashboard_front.not_found_page(pages, request, error.status_code)
        answered = answer_in_json(request, error)
        return await answered if inspect.isawaitable(answered) else answered

    app.add_exception_handler(HTTPException, unknown_path)


def create_app(
    services: Services,
    options: WebOptions,
    doors: Sequence[FrontDoor] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    operator: Principal | None = None,
    redis: Redis | None = None,
) -> FastAPI:
    """The app of one process. With ``operator``, /v1 acts as that principal for every request, without a key or
    a rate limit: the local operator's API (the CLI beside the database), never served on a socket. With
    ``redis`` (the process's client, which its builder closes) rate limits and nonces are shared by every
    process."""
    app = FastAPI(
        lifespan=lifespan,
        title="Mailyard",
        version=__version__,
        description="Native REST API of Mailyard. HTTP Basic auth: SecretId as user, SecretKey as password.",
    )
    app.state.services = services
    guards = SharedGuards(
        keys=CachedSecrets(services.access.lookup_secret),
        clients=ClientGate(options.client_rate_limit),
        redis=redis,
    )
    _mount_native_api(app, services, options, guards, operator)
    app.include_router(unsubscribe_routes.create_router())
    cookies = CookieOptions(secure=options.secure_cookies, max_age_seconds=options.session_seconds)
    pages = Pages()
    app.include_router(dashboard_front.create_router(pages, cookies))
    app.include_router(tracking_routes.create_router())

    chosen_doors = cloud_doors(services, options, guards) if doors is None else doors
    _show_unknown_paths_to_browsers(app, pages, chosen_doors)

    async def cloud_api(request: Request) -> Response:
        for door in chosen_doors:
            if door.claims(request):
                request.scope[DOOR_SCOPE_KEY] = door_name(door)
                return await door.handle(request)
        if dashboard_front.wants_page(request):
            return dashboard_front.home()
        return JSONResponse(
            {
                "error": {
                    "code": "unknown_protocol",
                    "message": "not a Tencent Cloud or Alibaba Cloud API request",
                }
            },
            status_code=400,
        )

    app.add_api_route("/", cloud_api, methods=["GET", "POST"], include_in_schema=False)
    return app
