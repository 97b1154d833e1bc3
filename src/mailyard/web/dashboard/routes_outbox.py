"""The outbox: messages the built-in outbox kept, each shown as a mail client would show it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from mailyard.domain import paging
from mailyard.web.dashboard import labels, message_view
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import CookieOptions, SignedInDep, services_of

PAGE_SIZE = 50
MessageId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
# A message's HTML runs nothing and loads nothing from anywhere: only inline styles and data: images.
MESSAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; sandbox; frame-ancestors 'self'"
)


def add_routes(router: APIRouter, pages: Pages, _cookies: CookieOptions) -> None:
    @router.get("/outbox")
    async def outbox_page(
        request: Request,
        session: SignedInDep,
        task: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
        page: PageNumber = 1,
    ) -> Response:
        window = paging.Window(offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        found = await services_of(request).outbox.list(session.principal, window, task_id=task)
        context = {"page": found, "task": task, "number": page, "size": PAGE_SIZE}
        return pages.render(request, "outbox.html", context, signed_in=session)

    @router.get("/outbox/{message_id}")
    async def message_page(request: Request, session: SignedInDep, message_id: MessageId) -> Response:
        found = await services_of(request).outbox.get(session.principal, message_id)
        view = message_view.read_message(found.content or b"")
        context = {"message": found, "view": view, "labels": labels}
        return pages.render(request, "message.html", context, signed_in=session)

    @router.get("/outbox/{message_id}/html")
    async def message_html(request: Request, session: SignedInDep, message_id: MessageId) -> Response:
        found = await services_of(request).outbox.get(session.principal, message_id)
        html = message_view.read_message(found.content or b"").html or ""
        headers = {
            "Content-Security-Policy": MESSAGE_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        }
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)
