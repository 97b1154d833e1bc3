"""Signing in and out, and choosing the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from mailyard.errors import AuthenticationFailed, SignInThrottled
from mailyard.web.dashboard import languages
from mailyard.web.dashboard.pages import Pages
from mailyard.web.dashboard.sessions import (
    SESSION_COOKIE,
    ChangeDep,
    CookieOptions,
    check_origin,
    services_of,
    session_token,
)
from mailyard.web.request_account import note_account

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Only paths of this site: `next` must not send a person elsewhere after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/tasks"
    return target


def add_routes(router: APIRouter, pages: Pages, cookies: CookieOptions) -> None:
    @router.get("/sign-in")
    async def sign_in_page(request: Request, next: str | None = None) -> Response:
        return pages.render(request, "sign_in.html", {"next": safe_next(next), "account": "", "user": ""})

    @router.post("/sign-in")
    async def sign_in(
        request: Request,
        user: Annotated[str, Form(max_length=100)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        account: Annotated[str, Form(max_length=100)] = "",
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        check_origin(request)
        client = request.client.host if request.client else "unknown"
        context = {"next": safe_next(next), "account": account, "user": user}
        try:
            token, session = await services_of(request).sign_in.sign_in(
                account_name=account or None, nickname=user, password=password, client_address=client
            )
        except SignInThrottled as error:
            response = pages.render(request, "sign_in.html", {**context, "problem": "throttled"}, status_code=429)
            response.headers["Retry-After"] = str(error.retry_after_seconds)
            return response
        except AuthenticationFailed:
            return pages.render(request, "sign_in.html", {**context, "problem": "wrong"}, status_code=401)
        note_account(request.scope, session.principal.account_id)
        signed_in = RedirectResponse(safe_next(next), status_code=303)
        signed_in.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=cookies.max_age_seconds,
            httponly=True,
            samesite="lax",
            secure=cookies.secure or request.url.scheme == "https",
            path="/",
        )
        return signed_in

    @router.post("/sign-out")
    async def sign_out(request: Request, _session: ChangeDep) -> Response:
        token = session_token(request)
        if token:
            await services_of(request).sign_in.sign_out(token)
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    @router.get("/language/{code}")
    async def choose_language(request: Request, code: str, back: str | None = None) -> Response:
        response = RedirectResponse(safe_next(back), status_code=303)
        if code in languages.LANGUAGES:
            response.set_cookie(
                languages.LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_SECONDS, samesite="lax", path="/"
            )
        return response
