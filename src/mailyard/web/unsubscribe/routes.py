"""``GET /unsubscribe/{token}`` asks for confirmation; ``POST`` unsubscribes (RFC 8058 one-click or the form).

GET never unsubscribes: mail scanners and link previews fetch links nobody clicked. Answers are small
HTML pages that show the address only to whoever holds its link, and say nothing about a bad token.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mailyard.errors import NotFound
from mailyard.services.container import Services

MAX_TOKEN_LENGTH = 2048
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1 style="font-size: 1.4rem">{title}</h1>{body}</body></html>
"""
_INVALID = ("Link not valid", "<p>This unsubscribe link is not valid. Please use the link from your email.</p>")


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
    return HTMLResponse(_PAGE.format(title=title, body=body), status_code=status_code, headers=headers)


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def create_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/unsubscribe/{token}")
    async def confirm(token: str, request: Request) -> HTMLResponse:
        try:
            recipient = _services(request).unsubscribe.recipient_of(token[:MAX_TOKEN_LENGTH])
        except NotFound:
            return _page(*_INVALID, status_code=404)
        shown = html.escape(recipient.address)
        return _page(
            "Unsubscribe",
            f"<p>Stop sending email to <strong>{shown}</strong>?</p>"
            '<form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">'
            "Unsubscribe</button></form>",
        )

    @router.post("/unsubscribe/{token}")
    async def unsubscribe(token: str, request: Request) -> HTMLResponse:
        try:
            recipient = await _services(request).unsubscribe.unsubscribe(token[:MAX_TOKEN_LENGTH])
        except NotFound:
            return _page(*_INVALID, status_code=404)
        shown = html.escape(recipient.address)
        return _page("Unsubscribed", f"<p><strong>{shown}</strong> will receive no more of these emails.</p>")

    return router
