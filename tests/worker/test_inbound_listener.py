"""The inbound listener's own limits and start-up: connections beyond the limit get a 421, idle ones are
closed, an explicit address that cannot be bound stops the start, the default one is skipped."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard import settings as settings_module
from mailyard.cli import inbound
from mailyard.settings import Settings
from mailyard.smtpd.inbound.listener import InboundListener, InboundListenerError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


async def greeting(port: int) -> tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return await asyncio.wait_for(reader.readline(), 5), reader, writer


async def test_connections_beyond_the_limit_get_421_and_idle_ones_are_closed(runtime: bootstrap.Runtime) -> None:
    listener = bootstrap.create_inbound_listener(runtime, ("127.0.0.1", 0))
    listener.options = replace(listener.options, max_connections=2, timeout_seconds=0.5)
    await listener.start()
    try:
        opened = [await greeting(listener.port) for _ in range(2)]
        assert all(line.startswith(b"220 ") for line, _, _ in opened)
        refused, _, writer = await greeting(listener.port)
        assert refused.startswith(b"421 ")
        writer.close()
        for _, reader, other in opened:  # idle sessions are closed by the timeout: the server ends them
            await asyncio.wait_for(reader.read(), 5)
            other.close()
        again, _, writer = await greeting(listener.port)
        assert again.startswith(b"220 ")
        writer.close()
    finally:
        await listener.close()


async def test_an_explicit_address_in_use_stops_the_start(runtime: bootstrap.Runtime, taken_port: int) -> None:
    runtime.settings = runtime.settings.model_copy(update={"inbound_smtp": f"127.0.0.1:{taken_port}"})
    with pytest.raises(InboundListenerError, match=f"cannot listen on 127.0.0.1:{taken_port}"):
        await inbound.start_beside_serve(runtime)


async def test_the_default_address_in_use_is_skipped_with_a_warning(
    runtime: bootstrap.Runtime, taken_port: int, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr(settings_module, "DEFAULT_INBOUND_SMTP", f"127.0.0.1:{taken_port}")
    runtime.settings = runtime.settings.model_copy(update={"inbound_smtp": None})
    with caplog.at_level(logging.WARNING):
        assert await inbound.start_beside_serve(runtime) is None
    assert "not received" in caplog.text
    off = runtime.settings.model_copy(update={"inbound_smtp": "off"})
    assert off.inbound_address is None


def test_inbound_address_setting() -> None:
    assert Settings(inbound_smtp="0.0.0.0:25").inbound_address == ("0.0.0.0", 25, True)
    assert Settings(inbound_smtp="[::1]:2525").inbound_address == ("::1", 2525, True)
    assert Settings().inbound_address == ("127.0.0.1", 2525, False)
    for bad in ("localhost", "host:port", ":25", "h:99999"):
        with pytest.raises(ValueError, match="HOST:PORT"):
            _ = Settings(inbound_smtp=bad).inbound_address
    assert isinstance(InboundListener, type)
