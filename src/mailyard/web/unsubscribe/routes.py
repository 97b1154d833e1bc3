"""``GET /unsubscribe/{token}`` asks for confirmation; ``POST`` unsubscribes (RFC 8058 one-click or the form).

GET never unsubscribes: mail scanners and link previews fetch links nobody clicked. Answers are small
HTML pages that show the address only to whoever holds its link, and say nothing about a bad token.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from mailyard.domain.unsubscribe_texts import UnsubscribeTexts, texts_for
from mailyard.errors import NotFound
from mailyard.services.container import Services

MAX_TOKEN_LENGTH = 2048
_PAGE = """<!doctype html>
<html lang="{lang}"{direction}><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem">
<h1 style="font-size: 1.4rem">{title}</h1>{body}</body></html>
"""


def _page(texts: UnsubscribeTexts, body: str, status_code: int = 200) -> HTMLResponse:
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
    page = _PAGE.format(
        lang=texts.lang, direction=' dir="rtl"' if texts.rtl else "", title=html.escape(texts.title), body=body
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)


def _invalid(texts: UnsubscribeTexts) -> HTMLResponse:
    return _page(texts, f"<p>{html.escape(texts.invalid)}</p>", status_code=404)


def _with_address(sentence: str, address: str) -> str:
    return html.escape(sentence).replace("{address}", f"<strong>{html.escape(address)}</strong>")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def create_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/unsubscribe/{token}")
    async def confirm(token: str, request: Request, lang: str | None = None) -> HTMLResponse:
        """Asks first: mail scanners and link previews fetch links nobody clicked. The page speaks the language
        of the footer its link came from (`lang`, Tencent's option "1".."12")."""
        texts = texts_for(lang)
        try:
            recipient = _services(request).unsubscribe.recipient_of(token[:MAX_TOKEN_LENGTH])
        except NotFound:
            return _invalid(texts)
        return _page(
            texts,
            f"<p>{_with_address(texts.question, recipient.address)}</p>"
            '<form method="post"><button type="submit" name="List-Unsubscribe" value="One-Click">'
            f"{html.escape(texts.button)}</button></form>",
        )

    @router.post("/unsubscribe/{token}")
    async def unsubscribe(token: str, request: Request, lang: str | None = None) -> HTMLResponse:
        texts = texts_for(lang)
        try:
            recipient = await _services(request).unsubscribe.unsubscribe(token[:MAX_TOKEN_LENGTH])
        except NotFound:
            return _invalid(texts)
        return _page(texts, f"<p>{_with_address(texts.done, recipient.address)}</p>")

    return router
