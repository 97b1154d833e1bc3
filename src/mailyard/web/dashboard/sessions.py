"""Who is signed in (the session cookie) and whether a state-changing request really comes from our pages."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from mailyard.domain.sign_in import SignedIn
from mailyard.errors import AuthenticationFailed, ErrorCode, Forbidden
from mailyard.services.container import Services
from mailyard.web.request_account import note_account

SESSION_COOKIE = "mailyard_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(AuthenticationFailed):
    """No live session: pages send the browser to the sign-in page."""

    default_code = ErrorCode.SESSION_ENDED


@dataclass(frozen=True, kw_only=True)
class CookieOptions:
    secure: bool  #: Secure cookies when the dashboard is reached over HTTPS
    max_age_seconds: int


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


async def signed_in(request: Request) -> SignedIn:
    token = session_token(request)
    if token is None:
        raise SignInRequired("sign in first")
    try:
        session = await services_of(request).sign_in.session(token)
    except AuthenticationFailed as error:
        raise SignInRequired("your session has ended; sign in again") from error
    note_account(request.scope, session.principal.account_id)
    return session


async def session_if_any(request: Request) -> SignedIn | None:
    """The live session of the request, or None: pages shown to anyone (errors) still carry the menu."""
    try:
        return await signed_in(request)
    except AuthenticationFailed:
        return None


async def checked_change(request: Request, session: Annotated[SignedIn, Depends(signed_in)]) -> SignedIn:
    """A state-changing request: it must come from our own origin and carry the session's CSRF token."""
    check_origin(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Forbidden(
            "this form has expired or did not come from this dashboard; reload the page",
            code=ErrorCode.CROSS_SITE_REQUEST,
        )
    return session


def check_origin(request: Request) -> None:
    """Refuse requests that a browser says came from another site."""
    origin = request.headers.get("origin")
    if origin is not None and origin != own_origin(request):
        raise Forbidden("the request came from another site", code=ErrorCode.CROSS_SITE_REQUEST)
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise Forbidden("the request came from another site", code=ErrorCode.CROSS_SITE_REQUEST)


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


SignedInDep = Annotated[SignedIn, Depends(signed_in)]
ChangeDep = Annotated[SignedIn, Depends(checked_change)]
