"""The ASGI application: the native API under /v1 and the cloud front doors on `/`, on one port."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from mailyard import __version__
from mailyard.services.container import Services
from mailyard.web.aliyun import front as aliyun_front
from mailyard.web.api.errors import install_error_handlers
from mailyard.web.api.limits import BodySizeLimit
from mailyard.web.api.router import create_router
from mailyard.web.tencent import front as tencent_front
from mailyard.web.tracking import routes as tracking_routes
from mailyard.web.unsubscribe import routes as unsubscribe_routes


@dataclass(frozen=True, kw_only=True)
class WebOptions:
    max_body_bytes: int = 8 * 1024 * 1024
    max_import_bytes: int = 1024 * 1024 * 1024  #: a streamed recipient import (spooled to disk)
    redis_url: str | None = None
    tencent_rate_limit: int = 20  #: requests/s per action per account


class FrontDoor(Protocol):
    """A cloud API served on `/`; the first door that claims a request handles it."""

    def claims(self, request: Request) -> bool: ...
    async def handle(self, request: Request) -> Response: ...


def cloud_doors(services: Services, options: WebOptions) -> list[FrontDoor]:
    """The cloud front doors, in the order they are asked whether a request is theirs."""
    return [
        aliyun_front.create_door(services, redis_url=options.redis_url),
        tencent_front.create_door(services, redis_url=options.redis_url, per_second=options.tencent_rate_limit),
    ]


def create_app(
    services: Services,
    options: WebOptions,
    doors: Sequence[FrontDoor] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="Mailyard",
        version=__version__,
        description="Native REST API of Mailyard. HTTP Basic auth: SecretId as user, SecretKey as password.",
    )
    app.state.services = services
    app.add_middleware(
        BodySizeLimit,
        max_bytes=options.max_body_bytes,
        prefix="/v1",
        upload_suffixes=("/recipients.csv",),
        max_upload_bytes=options.max_import_bytes,
    )
    install_error_handlers(app)
    app.include_router(create_router(), prefix="/v1")
    app.include_router(unsubscribe_routes.create_router())
    app.include_router(tracking_routes.create_router())

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    chosen_doors = cloud_doors(services, options) if doors is None else doors

    async def cloud_api(request: Request) -> Response:
        for door in chosen_doors:
            if door.claims(request):
                return await door.handle(request)
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
