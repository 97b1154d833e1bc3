"""Limits on what a request may carry: bodies over a size limit (refused before they are read into memory)
and NUL characters in paths and queries."""

from __future__ import annotations

import json

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailyard.errors import ErrorCode, InvalidInput


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so that FastAPI's body parsing lets it through
    (it turns any other exception into a 400) and the error handlers answer 413 `body_too_large`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {max_bytes} bytes")


class BodySizeLimit:
    """ASGI middleware: 413 when Content-Length, or the streamed body, exceeds `max_bytes`.

    Paths ending in one of `upload_suffixes` (streamed imports, spooled to disk) may carry `max_upload_bytes`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        prefix: str = "",
        upload_suffixes: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
    ) -> None:
        self._app = app
        self._max_bytes = max_bytes
        self._prefix = prefix
        self._upload_suffixes = upload_suffixes
        self._max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefix):
            await self._app(scope, receive, send)
            return
        is_upload = bool(self._upload_suffixes) and scope["path"].endswith(self._upload_suffixes)
        limit = max(self._max_upload_bytes, self._max_bytes) if is_upload else self._max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, capped_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "body_too_large",
                    "message": f"request body over {limit} bytes",
                    "field": None,
                }
            }
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def refuse_nul_characters(request: Request) -> None:
    """PostgreSQL cannot store or even compare text holding NUL characters: refuse them in paths and queries."""
    values = [*request.path_params.values(), *request.query_params.keys(), *request.query_params.values()]
    if any("\x00" in str(value) for value in values):
        raise InvalidInput("the request must not contain NUL characters", code=ErrorCode.NUL_CHARACTER)
