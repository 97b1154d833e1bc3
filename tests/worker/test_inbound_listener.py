"""The inbound listener's own limits and start-up: connections beyond the limit get a 421, idle ones are
closed, an explicit address that cannot be bound stops the start, the default one is skipped."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from mailyard import bootstrap
from mailyard.cli import inbound
from mailyard.settings import Settings
from mailyard.smtpd.listener import ListenerAddress, ListenerError, bound_port

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
    limits = {"inbound_max_connections": 2, "inbound_timeout_seconds": 0.5}
    runtime.settings = runtime.settings.model_copy(update=limits)
    listeners = await bootstrap.start_inbound(runtime, ListenerAddress(host="127.0.0.1", port=0, explicit=True))
    port = bound_port(listeners.servers[0])
    try:
        opened = [await greeting(port) for _ in range(2)]
        assert all(line.startswith(b"220 ") for line, _, _ in opened)
        refused, _, writer = await greeting(port)
        assert refused.startswith(b"421 4.7.0 ")
        writer.close()
        for _, reader, other in opened:  # idle sessions are closed by the timeout: the server ends them
            await asyncio.wait_for(reader.read(), 5)
            other.close()
        again, _, writer = await greeting(port)
        assert again.startswith(b"220 ")
        writer.close()
    finally:
        await listeners.close()


async def test_the_listener_offers_smtputf8_and_no_auth(runtime: bootstrap.Runtime) -> None:
    listeners = await bootstrap.start_inbound(runtime, ListenerAddress(host="127.0.0.1", port=0, explicit=True))
    try:
        _, reader, writer = await greeting(bound_port(listeners.servers[0]))
        writer.write(b"EHLO client.example\r\n")
        lines = [await asyncio.wait_for(reader.readline(), 5)]
        while lines[-1][3:4] == b"-":
            lines.append(await asyncio.wait_for(reader.readline(), 5))
        extensions = {line[4:].split()[0].upper() for line in lines[1:]}
        assert b"SMTPUTF8" in extensions and b"AUTH" not in extensions
        writer.close()
    finally:
        await listeners.close()


async def test_an_explicit_address_in_use_stops_the_start(runtime: bootstrap.Runtime, taken_port: int) -> None:
    runtime.settings = runtime.settings.model_copy(update={"inbound_smtp": f"127.0.0.1:{taken_port}"})
    with pytest.raises(ListenerError, match=f"cannot listen for inbound on 127.0.0.1:{taken_port}"):
        await inbound.start_beside_serve(runtime)


async def test_the_default_address_in_use_is_skipped_with_a_warning(
    runtime: bootstrap.Runtime, taken_port: int, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setattr(bootstrap, "DEFAULT_INBOUND_SMTP", f"127.0.0.1:{taken_port}")
    runtime.settings = runtime.settings.model_copy(update={"inbound_smtp": None})
    with caplog.at_level(logging.WARNING):
        assert await inbound.start_beside_serve(runtime) is None
    assert "not received" in caplog.text


def test_inbound_address_setting() -> None:
    def address(value: str | None) -> tuple[str, int, bool] | None:
        found = bootstrap.inbound_address(Settings(inbound_smtp=value))
        return (found.host, found.port, found.explicit) if found else None

    assert address("0.0.0.0:25") == ("0.0.0.0", 25, True)
    assert address("[::1]:2525") == ("::1", 2525, True)
    assert address(None) == ("127.0.0.1", 2525, False)
    assert address("off") is None
    for bad in ("localhost", "host:port", ":25", "h:99999"):
        with pytest.raises(ListenerError, match="HOST:PORT"):
            address(bad)
