"""Limits on what a request may carry: bodies over a size limit (refused before they are read into memory)
and NUL characters in paths and queries."""

from __future__ import annotations

import json

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailyard.errors import ErrorCode, InvalidInput
from mailyard.web.doors import BodyTooLarge, capped_receive, declared_length


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
        if declared_length(scope) > limit:
            await self._refuse(send, limit)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, capped_receive(receive, limit), tracking_send)
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
