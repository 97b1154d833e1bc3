"""An httpx transport to an ASGI app in this process that streams the answer, as a server would.

httpx's own ASGITransport collects the whole response body before returning it, so a local `lists export`
held the whole CSV in memory. Here the app runs as a task beside the caller: each body chunk it sends waits in
a short queue until the caller reads it, so memory stays flat whatever the size of the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote

import httpx

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

#: body chunks sent by the app and not read yet; the app waits beyond this (back-pressure)
QUEUED_CHUNKS = 8


class StreamingASGITransport(httpx.AsyncBaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _Exchange(request)
        exchange.task = asyncio.create_task(exchange.run(self._app))
        await exchange.started()
        assert exchange.start is not None
        headers = [(bytes(name), bytes(value)) for name, value in exchange.start.get("headers", [])]
        return httpx.Response(exchange.start["status"], headers=headers, stream=exchange, request=request)


class _Exchange(httpx.AsyncByteStream):
    """One request to the app: its body fed in on demand, and the answer's body read out as it comes."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self._body: AsyncIterator[bytes] = aiter(request.stream)  # type: ignore[arg-type]
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUED_CHUNKS)
        self._answered = asyncio.Event()  # the caller is done with the answer: the app may see a disconnect
        self._body_ended = False
        self._start_sent = asyncio.Event()
        self.start: Message | None = None
        self.task: asyncio.Task[None] | None = None

    async def run(self, app: ASGIApp) -> None:
        try:
            await app(self._scope(), self._receive, self._send)
        finally:
            self._start_sent.set()
            await self._chunks.put(None)

    async def started(self) -> None:
        """Wait for the answer's status and headers; an app that failed before them raises its error here."""
        assert self.task is not None
        await self._start_sent.wait()
        if self.start is None:
            await self.task  # raises the app's error
            raise RuntimeError("the app ended without answering")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self._chunks.get()) is not None:
            yield chunk
        assert self.task is not None
        await self.task  # an error of the app after its first chunk

    async def aclose(self) -> None:
        self._answered.set()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _receive(self) -> Message:
        if not self._body_ended:
            try:
                return {"type": "http.request", "body": await anext(self._body), "more_body": True}
            except StopAsyncIteration:
                self._body_ended = True
                return {"type": "http.request", "body": b"", "more_body": False}
        await self._answered.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            self._start_sent.set()
        elif message["type"] == "http.response.body" and (body := message.get("body", b"")):
            await self._chunks.put(body)

    def _scope(self) -> dict[str, Any]:
        url = self._request.url
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": self._request.method,
            "headers": [(name.lower(), value) for name, value in self._request.headers.raw],
            "scheme": url.scheme,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
