"""What every /v1 request passes before FastAPI reads its body: the client limit, the content types a browser
may not send here, and authentication. Then, per route, the per-account rate limit.

- Authentication runs here, before the body is read, so an unauthenticated request costs a header check (the
  key lookup is cached, misses too). A 401 never carries ``WWW-Authenticate``: a browser that was asked for a
  password would keep it and send it with every cross-site request to this origin.
- Writes whose content type a cross-site HTML form (or a no-CORS ``fetch``) can send are refused with 415:
  every /v1 write takes JSON, except the recipient import, which takes ``text/csv``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from mailyard.domain.accounts import Principal
from mailyard.web.api.errors import error_body
from mailyard.web.guards.clients import ClientGate
from mailyard.web.guards.throttle import ActionThrottle
from mailyard.web.request_account import note_account

KeyLookup = Callable[[str], Awaitable[tuple[str, Principal] | None]]
FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DUMMY_SECRET = secrets.token_urlsafe(30)


class ApiGate:
    """ASGI middleware for the paths under ``prefix``; sets ``request.state.principal`` for the routes.

    With ``operator`` every request acts as that principal, with no key and no client limit: the local
    operator's in-process API (see ``create_app``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        lookup: KeyLookup,
        client_gate: ClientGate,
        prefix: str = "/v1",
        operator: Principal | None = None,
    ) -> None:
        self._app = app
        self._lookup = lookup
        self._client_gate = client_gate
        self._prefix = prefix
        self._operator = operator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope["headers"]}
        if self._operator is None and not await self._client_gate.admit(scope):
            message = "too many requests from this address; retry later"
            await _answer(send, 429, "rate_limited", message, ((b"retry-after", b"1"),))
            return
        if scope["method"] in WRITE_METHODS and _media_type(headers.get(b"content-type", b"")) in FORM_MEDIA_TYPES:
            message = "send JSON (application/json), or text/csv to the recipient import"
            await _answer(send, 415, "unsupported_media_type", message)
            return
        principal = self._operator or await self._authenticate(headers.get(b"authorization", b""))
        if principal is None:
            await _answer(send, 401, "authentication_failed", "unknown access key or wrong secret")
            return
        scope.setdefault("state", {})["principal"] = principal
        note_account(scope, principal.account_id)
        await self._app(scope, receive, send)

    async def _authenticate(self, header: bytes) -> Principal | None:
        credentials = _basic_credentials(header)
        if credentials is None:
            return None
        secret_id, secret_key = credentials
        found = await self._lookup(secret_id)
        expected = found[0] if found else _DUMMY_SECRET
        if not hmac.compare_digest(expected.encode(), secret_key.encode()) or found is None:
            return None
        return found[1]


def _basic_credentials(header: bytes) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    secret_id, colon, secret_key = decoded.partition(":")
    return (secret_id, secret_key) if colon and secret_id else None


def _media_type(value: bytes) -> str:
    return value.decode("latin-1").partition(";")[0].strip().lower()


async def _answer(
    send: Send, status: int, code: str, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps(error_body(code, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def authenticated(request: Request) -> Principal:
    """The principal the gate authenticated; a route outside the gate is a wiring mistake, answered 401."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise HTTPException(401, "authentication required: HTTP Basic with an access key")
    return principal


def action_throttle(throttle: ActionThrottle) -> Callable[..., Awaitable[None]]:
    """A route dependency: at most the throttle's rate per route (method and path template) per account."""

    async def check(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> None:
        route = request.scope.get("route")
        action = f"{request.method} {getattr(route, 'path', request.url.path)}"
        if not await throttle.allow(str(principal.account_id), action):
            raise HTTPException(429, "too many requests for this action; retry later", headers={"Retry-After": "1"})

    return check
