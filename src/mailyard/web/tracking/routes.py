"""``GET /t/{copy}/o.gif`` (the open pixel) and ``GET /t/{copy}/c/{link}`` (a tracked link).

Both answer at once and leave the hit to be recorded in the background (services/tracking.py). A forged,
truncated or tampered token gets a plain 404 and never a redirect: the click endpoint redirects only to the URL
that was in that message.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from mailyard.errors import NotFound
from mailyard.services.container import Services
from mailyard.services.tracking import TrackingService

MAX_TOKEN_LENGTH = 8192
#: The smallest transparent GIF (1 x 1 pixel).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"}


def _tracking(request: Request) -> TrackingService | None:
    services: Services = request.app.state.services
    return services.tracking


def _not_found() -> PlainTextResponse:
    return PlainTextResponse("Not Found", status_code=404, headers=_NO_STORE)


def create_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/t/{copy}/o.gif")
    async def opened(copy: str, request: Request) -> Response:
        tracking = _tracking(request)
        if tracking is None or len(copy) > MAX_TOKEN_LENGTH:
            return _not_found()
        try:
            tracking.opened(copy, request.headers.get("user-agent"))
        except NotFound:
            return _not_found()
        return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)

    @router.get("/t/{copy}/c/{link}")
    async def clicked(copy: str, link: str, request: Request) -> Response:
        tracking = _tracking(request)
        if tracking is None or len(copy) + len(link) > MAX_TOKEN_LENGTH:
            return _not_found()
        try:
            url = tracking.clicked(copy, link, request.headers.get("user-agent"))
        except NotFound:
            return _not_found()
        return RedirectResponse(url, status_code=302, headers=_NO_STORE)

    return router
