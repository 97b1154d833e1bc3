"""The local commands' transport streams an answer as the app sends it, and feeds the request body on demand."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mailyard.cli.asgi_stream import QUEUED_CHUNKS, Message, StreamingASGITransport

CHUNKS = 200


class CountingApp:
    """Echoes the request body's length, then sends CHUNKS chunks, counting how many it got to send."""

    def __init__(self) -> None:
        self.sent = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        received, more = 0, True
        while more:
            message: Message = await receive()
            received, more = received + len(message.get("body", b"")), message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-received", str(received).encode())]})
        for _ in range(CHUNKS):
            await send({"type": "http.response.body", "body": b"x" * 1000, "more_body": True})
            self.sent += 1
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def test_the_answer_is_read_as_it_is_sent() -> None:
    app = CountingApp()
    async with httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://local") as client:

        async def body() -> Any:
            for _ in range(3):
                yield b"abc"

        async with client.stream("POST", "/", content=body()) as response:
            assert response.headers["x-received"] == "9"
            chunks = response.aiter_raw()
            await anext(chunks)
            await asyncio.sleep(0.05)
            assert app.sent <= QUEUED_CHUNKS + 2  # the app waits for the reader: nothing piles up
            assert 1 + sum([len(chunk) async for chunk in chunks]) // 1000 == CHUNKS
    assert app.sent == CHUNKS


async def test_an_error_of_the_app_reaches_the_caller() -> None:
    async def failing(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise LookupError("broken app")

    async with httpx.AsyncClient(transport=StreamingASGITransport(failing), base_url="http://local") as client:
        with pytest.raises(LookupError, match="broken app"):
            await client.get("/")


async def test_a_reader_that_stops_early_ends_the_app() -> None:
    app = CountingApp()
    transport = StreamingASGITransport(app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://local") as client,
        client.stream("GET", "/") as response,
    ):
        await anext(response.aiter_raw())
    await asyncio.sleep(0.05)
    assert app.sent < CHUNKS  # cancelled, not run to the end into a queue nobody reads
